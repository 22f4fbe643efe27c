"""Regions, turfs, walk packets, geocoding and goals."""
