"""Turf: areas, walk packets and coverage."""
