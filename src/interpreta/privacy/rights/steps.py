"""Every step of a rights request goes to the one audit trail (pseudonyms only).

This is the single place the rights engine writes audit entries: who (a user's
pseudonym, or ``system:dsr``), when, what (``dsr.<step>``), about whom (the
person's pseudonym), on which request (``dsr:<id>``), and details without plain
identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.privacy import audit
from interpreta.privacy.encrypted import KEYRING
from interpreta.privacy.models import AuditEntry
from interpreta.privacy.processing import runs_in
from interpreta.privacy.pseudonyms import Pseudonyms, system
from interpreta.privacy.rights.models import DataSubjectRequest

SYSTEM = system("dsr")


def pseudonyms(db: Session, fallback_key: bytes) -> Pseudonyms:
    """The keyring's pseudonyms when field encryption is installed on `db`, else
    pseudonyms keyed by a key derived from `fallback_key` (the master key)."""
    keyring = db.info.get(KEYRING)
    if keyring is not None:
        return keyring.pseudonyms(db.connection())  # type: ignore[no-any-return]
    derived = hmac.new(fallback_key, b"interpreta/dsr-pseudonyms", hashlib.sha256).digest()
    return Pseudonyms(derived)


def subject_of(names: Pseudonyms, request: DataSubjectRequest) -> str | None:
    """The pseudonym of the person a request is about."""
    if request.subject_user_id is not None:
        return names.user(request.subject_user_id)
    if request.subject_email:
        return names.email(request.subject_email)
    return None


def record(
    db: Session,
    fallback_key: bytes,
    *,
    actor_user_id: int | None,
    step: str,
    request: DataSubjectRequest,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """Append the audit entry of one step of `request`."""
    names = pseudonyms(db, fallback_key)
    actor = SYSTEM if actor_user_id is None else names.user(actor_user_id)
    audit.record(
        db,
        actor=actor,
        action=f"dsr.{step}",
        subject=subject_of(names, request),
        target=f"dsr:{request.id}",
        detail=detail,
        now=now,
    )


@runs_in(PRIVACY_REQUESTS)
def history(db: Session, request_id: int) -> list[AuditEntry]:
    """The audit entries of one request, oldest first."""
    return list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.target == f"dsr:{request_id}")
            .order_by(AuditEntry.seq)
        )
    )
