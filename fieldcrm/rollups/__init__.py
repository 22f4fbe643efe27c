"""Per-turf rollups of contacts, conversations and commitments, kept by database triggers."""
