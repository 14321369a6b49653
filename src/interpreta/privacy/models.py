"""Tables the privacy machinery keeps for itself: notice versions (and their translations),
data keys, audit trail (its entries, its chain head, its history tree's frozen nodes)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime

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


class NoticeTranslation(Base):
    """A published version of the privacy notice in one language other than English.

    Each version is published in every language at once (the English source is the
    version's own text), so an old version always shows as it was in each language;
    versions published before the translations existed have none, and show in English.
    """

    __tablename__ = "notice_translations"
    __table_args__ = (UniqueConstraint("version_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("notice_versions.id", ondelete="CASCADE"),
        info=not_personal("the version of the notice translated"),
    )
    language: Mapped[str] = mapped_column(
        String(8), info=not_personal("language code of the translation (de, fr...)")
    )
    markdown: Mapped[str] = mapped_column(
        Text, info=not_personal("the notice's text in that language")
    )
    html: Mapped[str] = mapped_column(
        Text, info=not_personal("the notice's text in that language, as HTML")
    )


class DataKey(Base):
    """A data key (AES-256) of one scope, stored only wrapped by a master key (P22).

    The scope says whose data the key protects (``org:<id>`` today; per-person
    scopes make erasure a matter of destroying one key). Rotating the master key
    re-wraps these rows; the field ciphertexts name the ``key_id`` and stay as they are.
    Rotating a scope's data key retires it (``retired_at``) for a new one and
    re-encrypts its ciphertexts; a scope has one current (unretired) key.
    """

    __tablename__ = "data_keys"
    __table_args__ = (
        Index(
            "uq_data_keys_current_scope",
            "scope",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    key_id: Mapped[str] = mapped_column(
        String(32), unique=True, info=not_personal("random public name of a data key")
    )
    scope: Mapped[str] = mapped_column(
        String(100),
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
    retired_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when a newer data key of the scope replaced this one")
    )


class AuditEntry(Base):
    """One entry of the tamper-evident, hash-chained audit trail.

    People appear only as pseudonyms (keyed hashes); ``hash`` covers every field
    and ``prev_hash``, so a changed, removed or reordered entry breaks the chain.
    """

    __tablename__ = "audit_entries"
    __anchors__ = Anchors(
        {Anchor.CREATION: lambda: AuditEntry.at},
        disposer=lambda db, before: prune_audit(db, before),
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
        info=personal(
            AUDIT, "who did an audited action (pseudonym, or the system)", tie=Tie.PSEUDONYM
        ),
    )
    action: Mapped[str] = mapped_column(
        String(64), info=personal(AUDIT, "what was done (audited action)")
    )
    subject: Mapped[str | None] = mapped_column(
        String(64),
        index=True,
        info=personal(
            AUDIT, "whose data an audited action concerned (pseudonym)", tie=Tie.PSEUDONYM
        ),
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
    ``tree_base_seq`` is where the history tree starts: leaf ``i`` is the entry
    ``tree_base_seq + i + 1`` (0, unless entries were pruned before the tree existed).
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
    tree_base_seq: Mapped[int] = mapped_column(
        Integer,
        info=not_personal("sequence number after which the audit history tree's leaves start"),
    )


class AuditTreeNode(Base):
    """A frozen node of the audit trail's Merkle history tree (RFC 9162 hashes).

    Node (``level``, ``position``) is the root of the perfect subtree over leaves
    ``position * 2**level`` to ``(position + 1) * 2**level - 1``; level 0 holds the
    leaves, ``SHA-256(0x00 || entry hash)``. Each node is written with the entry
    that completes it and never changes. Retention keeps the nodes when it removes
    entries (hashes, not personal data), so every tree head and the proofs for the
    entries kept stay computable.
    """

    __tablename__ = "audit_tree_nodes"
    __table_args__ = {"sqlite_with_rowid": False}

    level: Mapped[int] = mapped_column(
        Integer,
        primary_key=True,
        autoincrement=False,
        info=not_personal("height of an audit history tree node (0: a leaf)"),
    )
    position: Mapped[int] = mapped_column(
        Integer,
        primary_key=True,
        autoincrement=False,
        info=not_personal("place of an audit history tree node in its level, from the left"),
    )
    hash: Mapped[bytes] = mapped_column(
        LargeBinary(32),
        info=not_personal("SHA-256 of an audit history tree node (over its children's hashes)"),
    )


def prune_audit(db: Session, before: datetime) -> int:
    """Delete the oldest entries recorded before `before` (retention rule AUDIT_LOG),
    keeping the chain verifiable: the head remembers the last removed entry's hash.
    The history tree's nodes stay (:class:`AuditTreeNode`): the roots of every size,
    and proofs for the entries kept, are still computed from them.
    """
    head_table = cast(Table, AuditChainHead.__table__)
    entries = cast(Table, AuditEntry.__table__)
    connection = db.connection()
    head = connection.execute(
        select(head_table).where(head_table.c.id == 1).with_for_update()
    ).first()
    if head is None:
        return 0
    first_kept = connection.execute(
        select(func.min(entries.c.seq)).where(entries.c.at >= before)
    ).scalar()
    upto = (first_kept - 1) if first_kept is not None else head.last_seq
    if upto <= head.base_seq:
        return 0
    last_removed = connection.execute(
        select(entries.c.hash).where(entries.c.seq == upto)
    ).scalar_one()
    removed = connection.execute(delete(entries).where(entries.c.seq <= upto)).rowcount
    connection.execute(
        update(head_table).where(head_table.c.id == 1).values(base_seq=upto, base_hash=last_removed)
    )
    return removed
