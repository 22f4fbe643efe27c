"""Voter-file imports: reading, normalising and loading voter files."""
