"""Tests for fieldcrm.turf."""
