"""Telling the recipients of rectified or erased data (Art. 19; promises P29, P30).

An executed erasure or rectification lists, in its part's outcome, every registered
processor that receives a category it changed. Those the register gives a
notification address (``notify_url``) are sent a notice through the outbound guard
once the transaction has committed, so nobody is told of a change that rolled back;
what happened is written back into the outcome and audited. A notice that could not
be delivered stays ``pending`` and is tried again by the hourly schedule, at most
:data:`ATTEMPTS` times; a processor without a notification address is listed as
``manual`` for the DPO to tell.

A notice names the person only by the SHA-256 of each of their email addresses
(what the recipient can match its own records against: the digest suppression
marks store too) and says which categories and fields changed, never their values.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from interpreta.config import Settings
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.processors import Processor
from interpreta.datamap.ties import email_digest
from interpreta.datamap.vocabulary import Category
from interpreta.outbound import OutboundGuard, OutboundRefused
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights import steps
from interpreta.privacy.rights.models import RequestPart, RequestStatus
from interpreta.privacy.rights.subjects import Found, Part, rows_in_part

log = logging.getLogger(__name__)

ATTEMPTS = 5
"""How often a notice is tried before it is left ``failed`` for the DPO."""

TIMEOUT = 10.0
"""Seconds one delivery may take."""


def changed_categories(db: Session, metadata: MetaData, found: Found, part: Part) -> set[Category]:
    """The categories of the person's data that `part` covers (what an erasure changes)."""
    return {
        ties.declaration(column).category
        for ties, columns, _keys in rows_in_part(db, metadata, found, part)
        for column in columns
    }


def listed(
    settings: Settings,
    categories: Iterable[Category],
    emails: Iterable[str],
    fields: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """The outcome's ``notified`` entries: one per registered processor receiving any of
    `categories`, ``pending`` when it can be told, ``manual`` when the register gives
    no address to tell it at."""
    wanted = {c.value for c in categories}
    entries = []
    for processor in settings.processors:
        shared = sorted(wanted & set(processor.categories))
        if not shared:
            continue
        entries.append(
            {
                "recipient": processor.name,
                "categories": shared,
                "fields": sorted(set(fields)),
                "subject_sha256": sorted({email_digest(e) for e in emails}),
                "status": "pending" if processor.notify_url else "manual",
                "attempts": 0,
            }
        )
    return entries


def _send(
    guard: OutboundGuard,
    processor: Processor,
    entry: dict[str, Any],
    notice: dict[str, Any],
) -> str:
    """Deliver one notice; the entry's new status."""
    body = {
        **notice,
        "categories": entry["categories"],
        "fields": entry["fields"],
        "subject_sha256": entry["subject_sha256"],
    }
    try:
        with guard.http_client(
            PRIVACY_REQUESTS.key, entry["categories"], user_supplied=False, timeout=TIMEOUT
        ) as client:
            response = client.post(str(processor.notify_url), json=body)
            response.raise_for_status()
    except OutboundRefused as exc:
        return f"refused: {exc.reason}"
    except httpx.HTTPError as exc:
        return f"failed: {type(exc).__name__}"
    return "sent"


@runs_in(PRIVACY_REQUESTS)
def deliver(
    sessions: sessionmaker[Session],
    settings: Settings,
    guard: OutboundGuard,
    audit_key: bytes,
    part_id: int,
    now: datetime,
) -> dict[str, str]:
    """Send the pending notices of one answered part, outside any transaction, then
    record how each went (in the outcome and the audit trail); returns recipient ->
    status."""
    with sessions() as db:
        part = db.get(RequestPart, part_id)
        if part is None or part.status is not RequestStatus.DONE:
            return {}
        outcome = json.loads(part.outcome or "{}")
        notice = {
            "notice": part.request.kind.value,
            "reference": f"dsr:{part.request_id}:{part.id}",
            "at": now.isoformat(),
            "controller": settings.operator_name,
        }
    register = {p.name: p for p in settings.processors}
    results: dict[str, str] = {}
    for entry in outcome.get("notified", []):
        processor = register.get(entry.get("recipient", ""))
        if entry.get("status") == "pending" and processor is not None:
            results[entry["recipient"]] = _send(guard, processor, entry, notice)
    if results:
        _record(sessions, audit_key, part_id, results, now)
    for recipient, status in results.items():
        if status != "sent":
            log.warning("Art. 19 notice to %s: %s", recipient, status)
    return results


def _record(
    sessions: sessionmaker[Session],
    audit_key: bytes,
    part_id: int,
    results: dict[str, str],
    now: datetime,
) -> None:
    """Write each delivery's result: sent and refused are final, a failure is tried
    again until :data:`ATTEMPTS`."""
    with sessions.begin() as db:
        part = db.get_one(RequestPart, part_id)
        outcome = json.loads(part.outcome or "{}")
        for entry in outcome.get("notified", []):
            status = results.get(entry.get("recipient", ""))
            if status is None or entry.get("status") != "pending":
                continue
            entry["attempts"] = int(entry.get("attempts", 0)) + 1
            final = not status.startswith("failed") or entry["attempts"] >= ATTEMPTS
            entry["status" if final else "last_error"] = status
        part.outcome = json.dumps(outcome, sort_keys=True)
        steps.record(
            db,
            audit_key,
            actor_user_id=None,
            step="recipients_notified",
            request=part.request,
            detail={"results": sorted(results.values())},
            now=now,
        )


@runs_in(PRIVACY_REQUESTS)
def pending_parts(db: Session) -> list[int]:
    """Answered parts with a notice still to deliver (for the hourly retry)."""
    query = select(RequestPart.id, RequestPart.outcome).where(
        RequestPart.status == RequestStatus.DONE, RequestPart.outcome.contains('"pending"')
    )
    return [
        part_id
        for part_id, outcome in db.execute(query)
        if any(
            e.get("status") == "pending" for e in json.loads(outcome or "{}").get("notified", [])
        )
    ]
