"""Voter-file imports: reading, layouts, upsert, accounting and resumable batches."""
