"""Vote history: elections and the votes imported from state vote-history files."""
