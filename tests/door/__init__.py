"""Tests for fieldcrm.door."""
