"""What a new program starts with: result codes, issues, kinds of ask and commitment, and
the leader ladder, each in every shipped language.

`fieldcrm db upgrade` installs them after upgrading to the latest schema (migrations/env.py),
so a fresh database is usable without the demo seed. Installing is idempotent and never
changes what admins edited: a list that has entries gets no new ones, and only entries
still labelled as shipped get the shipped translations.
"""

from __future__ import annotations


def install_defaults(default_locale: str = "en") -> None:
    """Create the default lists and ladder where missing, labelled in `default_locale`
    (else English). Flushes; the caller commits."""
    from fieldcrm.conversations.services import ensure_default_choices
    from fieldcrm.ladder.services import ensure_default_ladder

    ensure_default_choices(default_locale)
    ensure_default_ladder(default_locale)
