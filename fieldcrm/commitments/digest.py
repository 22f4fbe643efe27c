"""The daily follow-up digest: each owner's due-today and overdue list, mailed or printed once."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from fieldcrm import programtime
from fieldcrm.auth.models import User
from fieldcrm.commitments.models import Commitment, DigestSent
from fieldcrm.commitments.queries import due_for_digest
from fieldcrm.conversations.services import choices
from fieldcrm.extensions import db
from fieldcrm.scoping import visible_commitments


@dataclass(frozen=True)
class Digest:
    """One owner's digest for one day, written in the owner's language (`User.locale`)."""

    user: User
    day: date
    overdue: list[Commitment]
    due_today: list[Commitment]

    def render(self, base_url: str = "") -> tuple[str, str]:
        """(subject, body) in the owner's language: wording, kinds' labels and dates."""
        with force_locale(self.user.locale or "en"):
            locale = get_locale()
            labels = dict(choices("commitment_kind", locale))
            subject = _(
                "Follow-ups for %(day)s: %(due)s due today, %(overdue)s overdue",
                day=programtime.format_date(self.day),
                due=len(self.due_today),
                overdue=len(self.overdue),
            )
            lines = [_("Hello %(name)s,", name=self.user.name), ""]
            for title, items in ((_("Due today"), self.due_today), (_("Overdue"), self.overdue)):
                if not items:
                    continue
                lines.append(f"{title}:")
                for c in items:
                    line = _(
                        "%(person)s: %(kind)s (due %(due)s)",
                        person=c.contact.display_name,
                        kind=labels.get(c.kind, c.kind),
                        due=programtime.format_date(c.due_date) if c.due_date else "",
                    )
                    phone = c.contact.best_phone
                    lines.append(f"  - {line}" + (f", {phone.e164}" if phone else ""))
                lines.append("")
            if base_url:
                lines.append(
                    _("Mark outcomes at %(url)s", url=f"{base_url.rstrip('/')}/commitments/")
                )
        return str(subject), "\n".join(str(line) for line in lines).rstrip() + "\n"


def pending_digests(day: date) -> list[Digest]:
    """Digests for `day` not sent yet: owners with due or overdue follow-ups in their scope."""
    sent = set(
        db.session.scalars(sa.select(DigestSent.user_id).where(DigestSent.digest_date == day))
    )
    digests = []
    for owner, items in due_for_digest(day):
        if owner.id in sent:
            continue
        ids = [c.id for c in items]
        allowed = set(
            db.session.scalars(
                visible_commitments(owner)
                .with_only_columns(Commitment.id)
                .where(Commitment.id.in_(ids))
            )
        )
        mine = [c for c in items if c.id in allowed]
        if not mine:
            continue
        digests.append(
            Digest(
                user=owner,
                day=day,
                overdue=[c for c in mine if c.due_date and c.due_date < day],
                due_today=[c for c in mine if c.due_date == day],
            )
        )
    return digests


def send_digest(
    digest: Digest,
    config: dict[str, Any],
    *,
    echo: Callable[[str], Any],
    smtp_factory: Callable[..., Any] = smtplib.SMTP,
) -> str:
    """Mail the digest when MAIL_SERVER is set, else print it; mark it sent. Returns the channel.

    Flushes a DigestSent row (unique per user and day): the caller commits after each send,
    so a second run the same day sends nothing.
    """
    subject, body = digest.render(config.get("BASE_URL") or "")
    if config.get("MAIL_SERVER"):
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = config.get("MAIL_DEFAULT_SENDER") or "fieldcrm@localhost"
        message["To"] = digest.user.email
        message.set_content(body)
        with smtp_factory(
            config["MAIL_SERVER"], config.get("MAIL_PORT") or 587, timeout=30
        ) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
        channel = "email"
    else:
        echo(f"To: {digest.user.email}\nSubject: {subject}\n\n{body}")
        channel = "print"
    db.session.add(DigestSent(user_id=digest.user.id, digest_date=digest.day, channel=channel))
    db.session.flush()
    return channel
