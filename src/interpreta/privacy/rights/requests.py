"""Rights requests from intake to answer: routing by scope (P01), deadlines (P34),
execution, and the audit of every step.

:class:`Rights` is built once from the platform (settings, clock, secrets) and a
mailer. A request names a person by user ID and/or email; once its requester is
known (signed in, confirmed by a one-time link, or logged by staff) it is split
into parts: the operator's own data goes to the DPO queue, each customer's
processor-scope data to that customer's admins.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, or_, select
from sqlalchemy.orm import Session, sessionmaker

from interpreta.clock import Clock
from interpreta.config import Settings
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.retention_rules import Period
from interpreta.datamap.vocabulary import Scope
from interpreta.db.after_commit import after_commit
from interpreta.errors import Problem, conflict, invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.i18n.locales import long_date, speaking
from interpreta.mail import Mail, Mailer, mailer_for
from interpreta.outbound import OutboundGuard
from interpreta.privacy.marks import MarkKind, ProcessingMark
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights import erase as erasure
from interpreta.privacy.rights import erasure_log, mentions, recipients, restrict, steps
from interpreta.privacy.rights import identity as links
from interpreta.privacy.rights.models import (
    Channel,
    DataSubjectRequest,
    RequestKind,
    RequestPart,
    RequestStatus,
)
from interpreta.privacy.rights.rectify import Correction, rectify
from interpreta.privacy.rights.subjects import (
    CONTROLLER,
    Found,
    Identity,
    Part,
    email_digest,
    find,
    mapped_class,
    normalise_email,
    parts,
)

MARKS = {
    RequestKind.RESTRICTION: MarkKind.RESTRICTION,
    RequestKind.OBJECTION: MarkKind.OBJECTION,
    RequestKind.MARKETING_OBJECTION: MarkKind.MARKETING_OBJECTION,
    RequestKind.AUTOMATED_OPT_OUT: MarkKind.AUTOMATED_OPT_OUT,
}
"""Requests answered by placing a mark."""

SELF_SERVICE_AUTOMATIC = frozenset({RequestKind.ACCESS, *MARKS, RequestKind.LIFT_RESTRICTION})
"""Kinds whose controller part a signed-in person gets at once (identity is proven)."""

ESCALATE_AFTER = timedelta(days=20)
"""A customer's part still open this long after the request arrived goes to the DPO."""

REQUEST_NAMES = {
    RequestKind.ACCESS: N_("access (a copy of their data)"),
    RequestKind.RECTIFICATION: N_("rectification (correcting their data)"),
    RequestKind.ERASURE: N_("erasure of their data"),
    RequestKind.RESTRICTION: N_("restriction of processing"),
    RequestKind.LIFT_RESTRICTION: N_("lifting a restriction of processing"),
    RequestKind.OBJECTION: N_("objection to processing based on legitimate interests"),
    RequestKind.MARKETING_OBJECTION: N_("objection to direct marketing"),
    RequestKind.AUTOMATED_OPT_OUT: N_("opting out of automated assessment"),
}
"""What a request asks for, as the mails about it name it (to be translated)."""


REDACTED = "[redacted]"
"""What a redacted text of someone else's reads afterwards."""

MAX_EXTENSION = Period(3, "months")
"""Art. 12(3): one month, extendable by two further months."""

log = logging.getLogger(__name__)


def due_date(received: datetime, days: int) -> datetime:
    """`days` after `received`, never beyond one calendar month (P34)."""
    return min(received + timedelta(days=days), Period(1, "months").after(received))


def part_of(row: RequestPart) -> Part:
    """The :class:`Part` a stored part stands for."""
    return Part(row.scope, row.organisation_id)


def identity_of(request: DataSubjectRequest) -> Identity:
    """Who a request is about."""
    return Identity.of(user_id=request.subject_user_id, email=request.subject_email)


@dataclass
class Rights:
    """The rights engine of one platform."""

    settings: Settings
    clock: Clock
    metadata: MetaData
    audit_key: bytes
    mailer: Mailer
    aftermath: tuple[Callable[[Session, datetime], list[int]], ...] = ()
    """What the platform does after an erasure, in its transaction: closing the
    customers left without members (their IDs are reported)."""
    handlers: Callable[[Session, int], list[tuple[str, str]]] | None = None
    """The proven addresses of a customer's owners, who answer its parts (P01), each with
    the owner's language."""
    sessions: sessionmaker[Session] | None = None
    """Where notices to recipients (Art. 19) are recorded once sent; None: not sent."""
    guard: OutboundGuard | None = None
    """The outbound guard those notices pass."""
    preamble: tuple[Callable[[Session, MetaData, Found, Part], int], ...] = ()
    """What the platform does before an erasure deletes the person's rows, in its
    transaction: silencing their voice in recordings (how many were rewritten)."""

    @classmethod
    def of(cls, platform: Any, mailer: Mailer | None = None) -> Rights:
        """The engine for `platform` (its settings, clock, schema, master key and outbound
        guard: the platform's own, built once, not one per request)."""
        return cls(
            platform.settings,
            platform.clock,
            platform.metadata,
            platform.secrets.master_key,
            mailer or getattr(platform, "mailer", None) or mailer_for(platform.settings),
            tuple(getattr(platform, "erasure_aftermath", ())),
            getattr(platform, "request_handlers", None),
            getattr(platform, "sessions", None),
            platform.outbound_guard,
            tuple(getattr(platform, "erasure_preamble", ())),
        )

    # --- intake -----------------------------------------------------------------------

    def _new(
        self,
        db: Session,
        *,
        kind: RequestKind,
        channel: Channel,
        user_id: int | None,
        email: str | None,
        details: str,
        logged_by: int | None,
        status: RequestStatus,
    ) -> DataSubjectRequest:
        if user_id is None and not email:
            raise invalid("email", gettext("Say who the request is about: an email address."))
        now = self.clock.now()
        address = normalise_email(email) if email else None
        request = DataSubjectRequest(
            kind=kind,
            status=status,
            channel=channel,
            subject_user_id=user_id,
            subject_email=address,
            subject_digest=email_digest(address) if address else None,
            details=details.strip(),
            logged_by_user_id=logged_by,
            received_at=now,
            due_at=due_date(now, self.settings.dsr_due_days),
        )
        db.add(request)
        db.flush()
        steps.record(
            db,
            self.audit_key,
            actor_user_id=logged_by if channel is Channel.STAFF else user_id,
            step="received",
            request=request,
            detail={"kind": kind.value, "channel": channel.value},
            now=now,
        )
        return request

    @runs_in(PRIVACY_REQUESTS)
    def self_service(
        self,
        db: Session,
        *,
        user_id: int,
        email: str | None,
        kind: RequestKind,
        details: str = "",
    ) -> DataSubjectRequest:
        """A signed-in person's request about themselves: routed at once, and the
        controller part of access, restriction and objection answered at once. `email`
        is their proven address, or None (then only what their account leads to is
        theirs)."""
        request = self._new(
            db,
            kind=kind,
            channel=Channel.SELF_SERVICE,
            user_id=user_id,
            email=email,
            details=details,
            logged_by=None,
            status=RequestStatus.OPEN,
        )
        self.route(db, request)
        if kind in SELF_SERVICE_AUTOMATIC:
            for part in request.parts:
                if part.scope is Scope.CONTROLLER:
                    self.execute(db, part, actor_user_id=user_id)
        return request

    @runs_in(PRIVACY_REQUESTS)
    def by_email(
        self, db: Session, *, email: str, kind: RequestKind, details: str = ""
    ) -> DataSubjectRequest:
        """A request from someone without an account: waits until the one-time link
        mailed to `email` is followed."""
        request = self._new(
            db,
            kind=kind,
            channel=Channel.EMAIL_FORM,
            user_id=None,
            email=email,
            details=details,
            logged_by=None,
            status=RequestStatus.AWAITING_CONFIRMATION,
        )
        token = links.issue(db, request, now=self.clock.now(), hours=self.settings.dsr_link_hours)
        url = f"{self.settings.base_url.rstrip('/')}/privacy/confirm?token={token}"
        self.mailer.send(
            Mail(
                activity=PRIVACY_REQUESTS.key,
                to=request.subject_email or "",
                subject=gettext("Confirm your privacy request"),
                body=gettext(
                    "Someone (we hope you) asked for: %(kind)s.", kind=kind.value.replace("_", " ")
                )
                + "\n"
                + gettext(
                    "To confirm that this address is yours, open this link within %(hours)s hours:",
                    hours=self.settings.dsr_link_hours,
                )
                + f"\n\n{url}\n\n"
                + gettext("If you did not ask, ignore this message; nothing will happen."),
            )
        )
        return request

    @runs_in(PRIVACY_REQUESTS)
    def confirm(self, db: Session, token: str) -> DataSubjectRequest:
        """Follow a one-time link: the requester owns the address; route the request."""
        request = links.redeem(db, token, now=self.clock.now())
        if request.status is RequestStatus.AWAITING_CONFIRMATION:
            request.status = RequestStatus.OPEN
            request.confirmed_at = self.clock.now()
            steps.record(
                db,
                self.audit_key,
                actor_user_id=None,
                step="confirmed",
                request=request,
                detail={"by": "one-time link"},
                now=self.clock.now(),
            )
            self.route(db, request)
        return request

    @runs_in(PRIVACY_REQUESTS)
    def logged_by_staff(
        self,
        db: Session,
        *,
        staff_user_id: int,
        kind: RequestKind,
        email: str | None,
        user_id: int | None = None,
        details: str = "",
    ) -> DataSubjectRequest:
        """A request received by email or phone, logged by staff who checked identity."""
        request = self._new(
            db,
            kind=kind,
            channel=Channel.STAFF,
            user_id=user_id,
            email=email,
            details=details,
            logged_by=staff_user_id,
            status=RequestStatus.OPEN,
        )
        self.route(db, request)
        return request

    # --- routing ----------------------------------------------------------------------

    @runs_in(PRIVACY_REQUESTS)
    def found(self, db: Session, request: DataSubjectRequest) -> Found:
        """Everything about the request's person (walked through the data map)."""
        return find(db, self.metadata, identity_of(request))

    @runs_in(PRIVACY_REQUESTS)
    def route(self, db: Session, request: DataSubjectRequest) -> list[RequestPart]:
        """Split the request by scope: the DPO's part always, one part per customer."""
        wanted = parts(db, self.metadata, self.found(db, request)) | {CONTROLLER}
        existing = {part_of(p) for p in request.parts}
        added = sorted(wanted - existing, key=lambda p: p.label)
        for part in added:
            request.parts.append(
                RequestPart(
                    scope=part.scope,
                    organisation_id=part.organisation_id,
                    status=RequestStatus.OPEN,
                    outcome="{}",
                )
            )
        db.flush()
        for part in added:
            if part.organisation_id is not None:
                self._tell_customer(db, request, part.organisation_id)
        steps.record(
            db,
            self.audit_key,
            actor_user_id=None,
            step="routed",
            request=request,
            detail={"parts": [part_of(p).label for p in request.parts]},
            now=self.clock.now(),
        )
        return list(request.parts)

    def _tell_customer(self, db: Session, request: DataSubjectRequest, organisation: int) -> None:
        """Mail the customer's owners that a part of a request waits for them (P01, P34):
        what kind and by when, never who (they see that signed in)."""
        if self.handlers is None:
            return
        url = f"{self.settings.base_url.rstrip('/')}/privacy/requests"
        for address, language in self.handlers(db, organisation):
            with speaking(language):  # in the owner's language
                mail = Mail(
                    activity=PRIVACY_REQUESTS.key,
                    to=address,
                    subject=gettext("A privacy request waits for your answer"),
                    body=gettext(
                        "A person asked for: %(kind)s (request #%(number)s). Part of it "
                        "concerns data you control in Interpreta. Answer by %(deadline)s (the "
                        "law's deadline) at:\n\n%(url)s\n",
                        kind=gettext(REQUEST_NAMES[request.kind]),
                        number=request.id,
                        deadline=long_date(request.deadline),
                        url=url,
                    ),
                )
            self.mailer.send(mail)

    @runs_in(PRIVACY_REQUESTS)
    def escalate(self, db: Session, now: datetime) -> list[int]:
        """Escalate to the DPO every customer part still open `ESCALATE_AFTER` after its
        request arrived (P34: no request may stall past its deadline because a customer
        does not answer): the DPO is mailed once per part, and the step is audited.
        Returns the IDs of the parts escalated now."""
        cutoff = now - ESCALATE_AFTER
        stalled = db.scalars(
            select(RequestPart)
            .join(DataSubjectRequest, DataSubjectRequest.id == RequestPart.request_id)
            .where(
                RequestPart.scope == Scope.PROCESSOR,
                RequestPart.status == RequestStatus.OPEN,
                DataSubjectRequest.received_at <= cutoff,
                DataSubjectRequest.status == RequestStatus.OPEN,
            )
            .order_by(RequestPart.id)
        ).all()
        escalated = []
        for part in stalled:
            label = part_of(part).label
            done = steps.history(db, part.request_id)
            if any(e.action == "dsr.escalated" and label in e.detail for e in done):
                continue
            request = part.request
            with speaking(self.settings.operator_language):
                mail = Mail(
                    activity=PRIVACY_REQUESTS.key,
                    to=self.settings.dpo.email or self.settings.operator_email,
                    subject=gettext(
                        "Escalated: request #%(number)s is unanswered by a customer",
                        number=request.id,
                    ),
                    body=gettext(
                        "The customer's part (%(part)s) of request #%(number)s (%(kind)s) is "
                        "still open %(days)s days after it arrived; the deadline is "
                        "%(deadline)s. Follow it up, or answer it as the controller allows.",
                        part=label,
                        number=request.id,
                        kind=gettext(REQUEST_NAMES[request.kind]),
                        days=ESCALATE_AFTER.days,
                        deadline=long_date(request.deadline),
                    ),
                )
            self.mailer.send(mail)
            steps.record(
                db,
                self.audit_key,
                actor_user_id=None,
                step="escalated",
                request=request,
                detail={"part": label},
                now=now,
            )
            escalated.append(part.id)
        return escalated

    # --- answering --------------------------------------------------------------------

    @runs_in(PRIVACY_REQUESTS)
    def execute(
        self,
        db: Session,
        part: RequestPart,
        *,
        actor_user_id: int | None,
        corrections: Iterable[Correction] = (),
    ) -> dict[str, Any]:
        """Answer one part: in one transaction (the caller's), recorded in the audit."""
        request = part.request
        if request.status is RequestStatus.AWAITING_CONFIRMATION:
            raise conflict(gettext("The requester has not confirmed their address yet."))
        if part.status is not RequestStatus.OPEN:
            raise conflict(gettext("This part of the request was already answered."))
        now = self.clock.now()
        found = self.found(db, request)
        if request.subject_user_id is None and len(found.identity.user_ids) == 1:
            # A request known by its address alone learns the account it found, before a
            # part erases the address: the parts answered later still find the person.
            request.subject_user_id = next(iter(found.identity.user_ids))
        outcome = self._answer(db, request, found, part_of(part), list(corrections), now)
        part.status = RequestStatus.DONE
        part.handled_by_user_id = actor_user_id
        part.handled_at = now
        part.outcome = json.dumps(outcome, sort_keys=True)
        if any(e.get("status") == "pending" for e in outcome.get("notified", [])):
            db.flush()
            part_id = part.id
            after_commit(db, lambda: self.notify_recipients(part_id))
        steps.record(
            db,
            self.audit_key,
            actor_user_id=actor_user_id,
            step="answered",
            request=request,
            detail={"part": part_of(part).label, "outcome": outcome},
            now=now,
        )
        self._close_if_done(db, request, now)
        return outcome

    def _answer(
        self,
        db: Session,
        request: DataSubjectRequest,
        found: Found,
        part: Part,
        corrections: list[Correction],
        now: datetime,
    ) -> dict[str, Any]:
        kind = request.kind
        identity = identity_of(request)
        if kind is RequestKind.ACCESS:
            return {"export": "ready"}
        if kind is RequestKind.ERASURE:
            names = steps.pseudonyms(db, self.audit_key)  # logged first: see erasure_log
            erasure_log.intend(db, self.settings.data_dir, names, found.identity, part, now)
            named = [
                m.as_dict()
                for m in mentions.find(db, self.metadata, found)
                if part.scope is Scope.PROCESSOR and m.organisation_id == part.organisation_id
            ]
            changed = recipients.changed_categories(db, self.metadata, found, part)
            redacted = sum(before(db, self.metadata, found, part) for before in self.preamble)
            report = erasure.erase(db, self.metadata, found, part).as_dict()
            if redacted:
                report["recordings_redacted"] = redacted
            report["notified"] = recipients.listed(self.settings, changed, found.identity.emails)
            if named:  # others' texts naming the person: the customer decides on them
                report["mentions"] = named
            closed = [i for after in self.aftermath for i in after(db, now)]
            if closed:
                report["organisations_closed"] = closed
            if found.identity.emails:  # mail still waiting for the address goes too
                addresses = set(found.identity.emails)
                after_commit(db, lambda: self.mailer.forget(addresses))
            return report
        if kind is RequestKind.RECTIFICATION:
            if not corrections:
                raise invalid("corrections", gettext("Say which fields to correct, and how."))
            return rectify(db, self.metadata, self.settings, found, part, corrections, now=now)
        if kind is RequestKind.LIFT_RESTRICTION:
            try:
                lifted = restrict.lift(db, identity, MarkKind.RESTRICTION, now=now)
            except Problem:
                lifted = []
            if lifted and request.subject_email:
                self.mailer.send(
                    Mail(
                        activity=PRIVACY_REQUESTS.key,
                        to=request.subject_email,
                        subject=gettext("The restriction of your data is lifted"),
                        body=gettext(
                            "As you asked, or as announced, the restriction of processing "
                            "of your personal data has been lifted (Art. 18(3) GDPR)."
                        ),
                    )
                )
            return {"lifted": len(lifted), "told": bool(lifted and request.subject_email)}
        mark = restrict.place(
            db, identity, MARKS[kind], now=now, reason=request.details, request_id=request.id
        )
        return {"mark": mark.kind.value}

    def _close_if_done(self, db: Session, request: DataSubjectRequest, now: datetime) -> None:
        if any(p.status is RequestStatus.OPEN for p in request.parts):
            return
        request.status = RequestStatus.DONE
        request.closed_at = now
        detail: dict[str, Any] = {"parts": len(request.parts)}
        if request.kind is RequestKind.ERASURE:
            detail["redacted"] = self._forget_person(db, request, now)
        steps.record(
            db,
            self.audit_key,
            actor_user_id=None,
            step="closed",
            request=request,
            detail=detail,
            now=now,
        )

    def _forget_person(
        self, db: Session, request: DataSubjectRequest, now: datetime
    ) -> dict[str, int]:
        """After an erasure, the legal record keeps what was asked and done, not who or
        in whose words: the person's requests keep only the digest of the address and
        lose their free text, and their marks lose the reasons they gave. Their requests
        still pending are closed as superseded (nothing is left to show, restrict or
        correct), each audited. Returns how many texts were redacted and requests
        superseded (the audit entry is the pseudonymised summary)."""
        digest = request.subject_digest
        conditions = [DataSubjectRequest.id == request.id]
        marks = []
        if digest:
            conditions.append(DataSubjectRequest.subject_digest == digest)
            marks.append(ProcessingMark.email_digest == digest)
        if request.subject_user_id is not None:
            conditions.append(DataSubjectRequest.subject_user_id == request.subject_user_id)
            marks.append(ProcessingMark.user_id == request.subject_user_id)
        redacted = {"requests": 0, "marks": 0, "superseded": 0}
        for other in db.scalars(select(DataSubjectRequest).where(or_(*conditions))):
            if other.status not in (RequestStatus.DONE, RequestStatus.REJECTED):
                self._supersede(db, other, request, now)
                redacted["superseded"] += 1
            other.subject_email = None
            if other.details:
                other.details = ""
                redacted["requests"] += 1
        if marks:
            for mark in db.scalars(select(ProcessingMark).where(or_(*marks))):
                if mark.reason:
                    mark.reason = ""
                    redacted["marks"] += 1
        return redacted

    def _supersede(
        self,
        db: Session,
        pending: DataSubjectRequest,
        erasure: DataSubjectRequest,
        now: datetime,
    ) -> None:
        """Close a request the person's completed erasure leaves nothing to answer."""
        outcome = json.dumps({"superseded_by": erasure.id}, sort_keys=True)
        for part in pending.parts:
            if part.status is RequestStatus.OPEN:
                part.status, part.handled_at, part.outcome = RequestStatus.DONE, now, outcome
        pending.status, pending.closed_at = RequestStatus.DONE, now
        steps.record(
            db,
            self.audit_key,
            actor_user_id=None,
            step="superseded",
            request=pending,
            detail={"by_request": erasure.id},
            now=now,
        )

    def notify_recipients(self, part_id: int) -> dict[str, str]:
        """Send an answered part's pending notices to recipients (Art. 19); a failure is
        logged and left pending for the hourly retry, never raised (the answer stands)."""
        if self.sessions is None or self.guard is None:
            return {}
        try:
            return recipients.deliver(
                self.sessions, self.settings, self.guard, self.audit_key, part_id, self.clock.now()
            )
        except Exception:
            log.exception("the Art. 19 notices of request part %d were not sent", part_id)
            return {}

    def retry_notices(self) -> int:
        """Try again every notice still pending (the hourly schedule); how many parts."""
        if self.sessions is None:
            return 0
        with self.sessions() as db:
            waiting = recipients.pending_parts(db)
        for part_id in waiting:
            self.notify_recipients(part_id)
        return len(waiting)

    @runs_in(PRIVACY_REQUESTS)
    def redact_mentions(
        self, db: Session, part: RequestPart, *, actor_user_id: int, keys: list[Any]
    ) -> int:
        """Redact, among the texts naming the person that an executed erasure part
        listed, those whose keys are `keys` (the customer's decision); only listed
        texts can be touched. Returns how many; audited."""
        outcome = json.loads(part.outcome or "{}")
        listed = outcome.get("mentions", [])
        wanted = {str(k) for k in keys}
        chosen = [m for m in listed if str(m["key"]) in wanted and not m.get("redacted")]
        if part.status is not RequestStatus.DONE or len(chosen) != len(wanted):
            raise invalid(
                "keys", gettext("Choose among the texts this erasure listed, not yet redacted.")
            )
        for mention in chosen:
            model = mapped_class(self.metadata, self.metadata.tables[mention["table"]])
            row = db.get(model, mention.get("row", mention["key"]))
            if row is not None:
                setattr(row, mention["column"], REDACTED)
            mention["redacted"] = True
        part.outcome = json.dumps(outcome, sort_keys=True)
        steps.record(
            db,
            self.audit_key,
            actor_user_id=actor_user_id,
            step="mentions_redacted",
            request=part.request,
            detail={"part": part_of(part).label, "redacted": len(chosen)},
            now=self.clock.now(),
        )
        return len(chosen)

    @runs_in(PRIVACY_REQUESTS)
    def reject(self, db: Session, part: RequestPart, *, actor_user_id: int, reason: str) -> None:
        """Refuse one part (e.g. manifestly unfounded), with the reason (Art. 12(5))."""
        if not reason.strip():
            raise invalid("reason", gettext("Say why the request is refused."))
        if part.status is not RequestStatus.OPEN:
            raise conflict(gettext("This part of the request was already answered."))
        now = self.clock.now()
        part.status = RequestStatus.REJECTED
        part.handled_by_user_id = actor_user_id
        part.handled_at = now
        part.outcome = json.dumps({"rejected": reason.strip()})
        steps.record(
            db,
            self.audit_key,
            actor_user_id=actor_user_id,
            step="rejected",
            request=part.request,
            detail={"part": part_of(part).label},
            now=now,
        )
        self._close_if_done(db, part.request, now)

    @runs_in(PRIVACY_REQUESTS)
    def extend(
        self,
        db: Session,
        request: DataSubjectRequest,
        *,
        until: datetime,
        reason: str,
        actor_user_id: int,
    ) -> None:
        """Extend the deadline (Art. 12(3)): with a reason, at most 3 months in all."""
        if not reason.strip():
            raise invalid("reason", gettext("An extension needs a reason."))
        if until <= request.deadline:
            raise invalid("until", gettext("The new deadline must be later than the current one."))
        if until > MAX_EXTENSION.after(request.received_at):
            raise invalid("until", gettext("A deadline can be extended to three months at most."))
        request.extended_due_at = until
        request.extension_reason = reason.strip()
        steps.record(
            db,
            self.audit_key,
            actor_user_id=actor_user_id,
            step="extended",
            request=request,
            detail={"until": until.isoformat()},
            now=self.clock.now(),
        )


# --- queues -------------------------------------------------------------------------------


@runs_in(PRIVACY_REQUESTS)
def get(db: Session, request_id: int) -> DataSubjectRequest:
    """One request, or 404."""
    request = db.get(DataSubjectRequest, request_id)
    if request is None:
        raise not_found(N_("request"))
    return request


@runs_in(PRIVACY_REQUESTS)
def overdue(db: Session, now: datetime) -> list[DataSubjectRequest]:
    """Requests still open after their deadline (P34)."""
    rows = db.scalars(
        select(DataSubjectRequest)
        .where(DataSubjectRequest.status == RequestStatus.OPEN)
        .order_by(DataSubjectRequest.due_at)
    )
    return [r for r in rows if r.deadline < now]


@runs_in(PRIVACY_REQUESTS)
def listing(
    db: Session,
    *,
    scope: Scope | None = None,
    organisation_id: int | None = None,
    user_id: int | None = None,
    open_only: bool = False,
) -> list[DataSubjectRequest]:
    """Requests with a part in a queue (the DPO's, or one customer's), or one person's."""
    query = select(DataSubjectRequest).order_by(DataSubjectRequest.due_at)
    if user_id is not None:
        query = query.where(DataSubjectRequest.subject_user_id == user_id)
    if scope is not None or organisation_id is not None:
        parts_query = select(RequestPart.request_id)
        if scope is not None:
            parts_query = parts_query.where(RequestPart.scope == scope)
        if organisation_id is not None:
            parts_query = parts_query.where(RequestPart.organisation_id == organisation_id)
        query = query.where(DataSubjectRequest.id.in_(parts_query))
    if open_only:
        query = query.where(
            DataSubjectRequest.status.in_([RequestStatus.OPEN, RequestStatus.AWAITING_CONFIRMATION])
        )
    return list(db.scalars(query))


def done_parts(request: DataSubjectRequest) -> list[Part]:
    """The parts answered so far (what an access export may include)."""
    return [part_of(p) for p in request.parts if p.status is RequestStatus.DONE]
