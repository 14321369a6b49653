"""Tables the privacy machinery keeps for itself: notice versions, data keys, audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from interpreta.db.base import Base, UTCDateTime
from interpreta.privacy import retention_rules as rules
from interpreta.privacy.anchors import RetentionScope
from interpreta.privacy.datamap import Personal, not_personal, personal
from interpreta.privacy.retention_rules import Anchor
from interpreta.privacy.vocabulary import Category, LegalBasis, Purpose, Scope, Subject

AUDIT = Personal(
    category=Category.SECURITY,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.SECURITY, Purpose.LEGAL_COMPLIANCE),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    retention=rules.AUDIT_LOG,
    scope=Scope.CONTROLLER,
)


class NoticeVersion(Base):
    """One published version of the privacy notice (promise P36)."""

    __tablename__ = "notice_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    number: Mapped[int] = mapped_column(
        Integer, unique=True, info=not_personal("version number of the notice")
    )
    published_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("publication date of the notice")
    )
    content_hash: Mapped[str] = mapped_column(
        String(64), info=not_personal("SHA-256 of the notice's Markdown")
    )
    markdown: Mapped[str] = mapped_column(Text, info=not_personal("the notice's text"))
    html: Mapped[str] = mapped_column(Text, info=not_personal("the notice's text as HTML"))


class DataKey(Base):
    """A data key (AES-256) of one scope, stored only wrapped by a master key (P22).

    The scope says whose data the key protects (``org:<id>`` today; per-person
    scopes make erasure a matter of destroying one key). Rotating the master key
    re-wraps these rows; the field ciphertexts name the ``key_id`` and stay as they are.
    """

    __tablename__ = "data_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    key_id: Mapped[str] = mapped_column(
        String(32), unique=True, info=not_personal("random public name of a data key")
    )
    scope: Mapped[str] = mapped_column(
        String(100),
        unique=True,
        info=not_personal("whose data a key protects: an organisation number or a pseudonym"),
    )
    wrapped: Mapped[str | None] = mapped_column(
        Text, info=not_personal("the data key encrypted under a master key; empty once destroyed")
    )
    master_version: Mapped[str] = mapped_column(
        String(64), index=True, info=not_personal("which master key wraps the data key")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=not_personal("key creation"))
    rewrapped_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("last master-key rotation of the key")
    )
    destroyed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the key was destroyed (crypto-erasure)")
    )


class AuditEntry(Base):
    """One entry of the tamper-evident, hash-chained audit trail.

    People appear only as pseudonyms (keyed hashes); ``hash`` covers every field
    and ``prev_hash``, so a changed, removed or reordered entry breaks the chain.
    """

    __tablename__ = "audit_entries"
    __retention__ = RetentionScope(
        anchors={Anchor.CREATION: lambda: AuditEntry.at},
        disposer=lambda db, before: _prune_audit(db, before),
    )

    seq: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, info=not_personal("sequence number")
    )
    at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(AUDIT, "when an audited action happened")
    )
    actor: Mapped[str] = mapped_column(
        String(64),
        index=True,
        info=personal(AUDIT, "who did an audited action (pseudonym, or the system)"),
    )
    action: Mapped[str] = mapped_column(
        String(64), info=personal(AUDIT, "what was done (audited action)")
    )
    subject: Mapped[str | None] = mapped_column(
        String(64),
        index=True,
        info=personal(AUDIT, "whose data an audited action concerned (pseudonym)"),
    )
    target: Mapped[str] = mapped_column(
        String(200), info=personal(AUDIT, "which record an audited action concerned")
    )
    detail: Mapped[str] = mapped_column(
        Text, info=personal(AUDIT, "details of an audited action (no plain identifiers)")
    )
    prev_hash: Mapped[str] = mapped_column(
        String(64), info=not_personal("hash of the previous audit entry")
    )
    hash: Mapped[str] = mapped_column(
        String(64), info=not_personal("SHA-256 over an audit entry and the previous hash")
    )


class AuditChainHead(Base):
    """The audit chain's single head row: appenders lock it, so the chain never forks.

    ``base_seq``/``base_hash`` name the last entry removed by retention, where the
    remaining chain starts; ``last_seq``/``last_hash`` name its newest entry.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, info=not_personal("always 1")
    )
    last_seq: Mapped[int] = mapped_column(Integer, info=not_personal("newest sequence number"))
    last_hash: Mapped[str] = mapped_column(
        String(64), info=not_personal("hash of the newest audit entry")
    )
    base_seq: Mapped[int] = mapped_column(
        Integer, info=not_personal("sequence number of the last entry removed by retention")
    )
    base_hash: Mapped[str] = mapped_column(
        String(64), info=not_personal("hash of the last entry removed by retention")
    )


def _prune_audit(db: Session, before: datetime) -> int:
    from interpreta.privacy.audit import prune

    return prune(db, before=before)
