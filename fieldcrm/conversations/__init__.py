"""Attempts and one-on-one conversations, and the configurable choice lists they use."""
