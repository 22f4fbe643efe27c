"""Commitments people make, their owners, due dates, outcomes and history."""
