"""Tests for fieldcrm.lib."""
