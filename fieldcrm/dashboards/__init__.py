"""Home pages and read-only reports (coverage, team, ladder boards)."""
