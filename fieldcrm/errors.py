"""Domain errors raised by services and mapped to responses at the edge."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors a service raises on purpose."""


class ValidationFailed(DomainError):
    """Input broke a business rule; `errors` is a list of (field, message) pairs."""

    def __init__(self, errors: list[tuple[str | None, str]]):
        self.errors = errors
        super().__init__("; ".join(msg for _, msg in errors))


class PermissionDenied(DomainError):
    """The actor may not do this (403)."""


class NotFound(DomainError):
    """The record does not exist or is outside the actor's scope (404)."""
