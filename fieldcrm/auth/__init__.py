"""Accounts, roles, sign-in and the user admin."""
