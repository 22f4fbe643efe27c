"""Outgoing webhooks: admins register endpoints; events are signed, delivered and retried."""
