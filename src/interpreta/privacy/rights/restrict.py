"""Restriction (Art. 18) and objection (Art. 21, 22): marks checked on every
processing path of a person's data (analytics, mailing, exports).

A mark names the person by user ID and/or the digest of an email address, so a
suppression survives without keeping the address. :func:`blocked` answers one
question for one person and one activity; :func:`blocked_user_ids` and
:func:`blocked_digests` let a batch job (analytics, a mailing) skip everyone
marked in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import PRIVACY_REQUESTS, Activity
from interpreta.errors import conflict, invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.privacy.marks import MarkKind, ProcessingMark, stops
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights.subjects import Identity, email_digest

MARK_WORDS = {
    MarkKind.RESTRICTION: N_("restriction"),
    MarkKind.OBJECTION: N_("objection"),
    MarkKind.MARKETING_OBJECTION: N_("marketing objection"),
    MarkKind.AUTOMATED_OPT_OUT: N_("automated opt out"),
    MarkKind.CONSENT_WITHDRAWN: N_("consent withdrawn"),
}
"""Each mark in words, as a problem names it (translated where used)."""


def _in_force(identity: Identity) -> object:
    conditions = []
    if identity.user_ids:
        conditions.append(ProcessingMark.user_id.in_(identity.user_ids))
    if identity.emails:
        conditions.append(ProcessingMark.email_digest.in_(identity.digests))
    return or_(*conditions) if conditions else None


@runs_in(PRIVACY_REQUESTS)
def marks(db: Session, identity: Identity) -> list[ProcessingMark]:
    """The marks in force for the person."""
    condition = _in_force(identity)
    if condition is None:
        return []
    return list(
        db.scalars(
            select(ProcessingMark)
            .where(condition, ProcessingMark.lifted_at.is_(None))  # type: ignore[arg-type]
            .order_by(ProcessingMark.id)
        )
    )


@runs_in(PRIVACY_REQUESTS)
def blocked(db: Session, identity: Identity, activity: Activity) -> bool:
    """Whether the person's data may not be used in `activity` now (the rule of
    :func:`~interpreta.privacy.marks.stops`, which the processing engine applies)."""
    return any(stops(mark, activity) for mark in marks(db, identity))


def _all_in_force(db: Session) -> list[ProcessingMark]:
    return list(db.scalars(select(ProcessingMark).where(ProcessingMark.lifted_at.is_(None))))


@runs_in(PRIVACY_REQUESTS)
def blocked_user_ids(db: Session, activity: Activity) -> set[int]:
    """User IDs whose data may not be used in `activity` (for batch processing)."""
    return {m.user_id for m in _all_in_force(db) if m.user_id is not None and stops(m, activity)}


@runs_in(PRIVACY_REQUESTS)
def blocked_digests(db: Session, activity: Activity) -> set[str]:
    """Email digests whose data may not be used in `activity` (for batch processing)."""
    return {m.email_digest for m in _all_in_force(db) if m.email_digest and stops(m, activity)}


@runs_in(PRIVACY_REQUESTS)
def allowed(
    db: Session, people: Iterable[tuple[int | None, str | None]], activity: Activity
) -> list[tuple[int | None, str | None]]:
    """`people` (user ID, email) without those whose marks stop `activity`."""
    users, digests = blocked_user_ids(db, activity), blocked_digests(db, activity)
    return [
        (user, email)
        for user, email in people
        if (user is None or user not in users)
        and (email is None or email_digest(email) not in digests)
    ]


@runs_in(PRIVACY_REQUESTS)
def place(
    db: Session,
    identity: Identity,
    kind: MarkKind,
    *,
    now: datetime,
    reason: str = "",
    purposes: Iterable[str] = (),
    request_id: int | None = None,
) -> ProcessingMark:
    """Place a mark for the person (one per kind; placing it again returns it)."""
    for existing in marks(db, identity):
        if existing.kind is kind:
            return existing
    user = min(identity.user_ids) if identity.user_ids else None
    email = min(identity.emails) if identity.emails else None
    mark = ProcessingMark(
        kind=kind,
        user_id=user,
        email_digest=email_digest(email) if email else None,
        purposes=",".join(purposes),
        reason=reason,
        request_id=request_id,
        created_at=now,
    )
    db.add(mark)
    db.flush()
    return mark


@runs_in(PRIVACY_REQUESTS)
def lift(db: Session, identity: Identity, kind: MarkKind, *, now: datetime) -> list[ProcessingMark]:
    """Lift the person's marks of `kind`; the caller tells the person (Art. 18(3))."""
    lifted = [m for m in marks(db, identity) if m.kind is kind]
    if not lifted:
        raise conflict(
            gettext("No %(kind)s is in force for this person.", kind=gettext(MARK_WORDS[kind]))
        )
    for mark in lifted:
        mark.lifted_at = now
    return lifted


@runs_in(PRIVACY_REQUESTS)
def record_overriding_grounds(db: Session, mark_id: int, grounds: str) -> ProcessingMark:
    """Record compelling legitimate grounds that override an objection (Art. 21(1)).

    Refused, changing nothing: empty or over-long grounds (422), an unknown mark
    (404), a mark that is lifted, is not an objection, or already has grounds (409).
    """
    text = grounds.strip()
    if not text:
        raise invalid("grounds", gettext("Give the overriding grounds."))
    if len(text) > GROUNDS_MAX_LENGTH:
        raise invalid(
            "grounds",
            gettext("Keep the grounds to %(count)s characters.", count=GROUNDS_MAX_LENGTH),
        )
    mark = db.get(ProcessingMark, mark_id, with_for_update=True)
    if mark is None:
        raise not_found(N_("processing mark"))
    if mark.lifted_at is not None:
        raise conflict(
            gettext("Mark %(mark)s was lifted; there is no objection to override.", mark=mark_id)
        )
    if mark.kind is not MarkKind.OBJECTION:
        raise conflict(gettext("Overriding grounds apply only to an objection."))
    if mark.overriding_grounds:
        raise conflict(
            gettext("Overriding grounds are already recorded for mark %(mark)s.", mark=mark_id)
        )
    mark.overriding_grounds = text
    return mark


GROUNDS_MAX_LENGTH = 2000
"""The longest overriding grounds the DPO may record."""
