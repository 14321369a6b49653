"""Signed heads of the audit trail's history tree, published outside the database.

Whoever can write the database can rewrite an old audit entry and recompute every
hash after it: the chain and the tree verify again. What they cannot change is a
tree head that left the database before. :func:`publish` signs the head of the
whole tree (size, root hash, time) with Ed25519 (the key is created in the data
directory's secrets on first use) and appends it, one JSON line, to a file the
operator copies elsewhere (``INTERPRETA_AUDIT_ROOT_FILE``; by default
``published/audit-roots.jsonl`` in the data directory). Each line carries the
consistency proof (RFC 9162) from the head published before it, checked before
writing: a history rewritten since the last publication is refused at once.

:func:`verify_published` checks such a file (each signature, each line extending
the one before) and the database against it; :func:`verify_against` checks the
database against one head given by hand (``SIZE:ROOT``). The server publishes a
head with each retention run, and ``interpreta audit publish`` does on demand.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.privacy import audit
from interpreta.secrets_store import audit_signing_seed

_CONTEXT = b"interpreta audit tree head v1\n"


class BadTreeHead(ValueError):
    """A published tree head that cannot be read."""


class PublishRefused(RuntimeError):
    """The trail's history does not extend the head published before: nothing published."""


class PublishedUnreadable(ValueError):
    """A file of published tree heads that cannot be read as one."""


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head (size, root, time) signed with Ed25519, as published.

    The signature covers :meth:`signed_bytes`; ``consistency_from`` and
    ``consistency_proof`` carry the proof from the head published before it (sizes,
    hex hashes), checked when publishing and when verifying, and not signed: the
    roots it links are.
    """

    tree_size: int
    root_hash: str
    timestamp: str
    public_key: str
    signature: str
    consistency_from: int | None = None
    consistency_proof: tuple[str, ...] = ()

    @staticmethod
    def signed_bytes(tree_size: int, root_hash: str, timestamp: str) -> bytes:
        """What the signature covers: a context string and the head's canonical JSON."""
        head = {"root_hash": root_hash, "timestamp": timestamp, "tree_size": tree_size}
        return _CONTEXT + json.dumps(head, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def sign(
        cls,
        key: Ed25519PrivateKey,
        head: audit.TreeHead,
        at: datetime,
        consistency: audit.ConsistencyProof | None = None,
    ) -> SignedTreeHead:
        """Sign `head` at `at`, carrying the consistency proof from the previous head."""
        timestamp = at.isoformat(timespec="seconds")
        signature = key.sign(cls.signed_bytes(head.size, head.root_hash, timestamp))
        return cls(
            head.size,
            head.root_hash,
            timestamp,
            raw_public_key(key).hex(),
            signature.hex(),
            consistency.old.size if consistency else None,
            consistency.path if consistency else (),
        )

    @property
    def head(self) -> audit.TreeHead:
        """The tree head signed."""
        return audit.TreeHead(self.tree_size, self.root_hash)

    def signed_by(self, public_key: bytes) -> bool:
        """Whether the head names `public_key` and its signature verifies with it."""
        if self.public_key != public_key.hex():
            return False
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                bytes.fromhex(self.signature),
                self.signed_bytes(self.tree_size, self.root_hash, self.timestamp),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def extends(self, previous: SignedTreeHead) -> bool:
        """Whether this head carries a proof that its tree extends `previous`'s."""
        path = self.consistency_proof if self.consistency_from == previous.tree_size else ()
        if previous.tree_size > self.tree_size:
            return False
        return audit.ConsistencyProof(previous.head, self.head, path).verify()

    def to_json(self) -> str:
        """The head as one line of JSON."""
        consistency = None
        if self.consistency_from is not None:
            consistency = {"from_size": self.consistency_from, "proof": self.consistency_proof}
        line = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
            "consistency": consistency,
            "public_key": self.public_key,
            "signature": self.signature,
        }
        return json.dumps(line, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SignedTreeHead:
        """Read a head written by :meth:`to_json`; :class:`BadTreeHead` says what is wrong."""
        try:
            line = json.loads(text)
        except ValueError as exc:
            raise BadTreeHead("not JSON") from exc
        if not isinstance(line, dict):
            raise BadTreeHead("not a JSON object")
        size = _size(line.get("tree_size"), "tree_size")
        root_hash = _hex(line.get("root_hash"), 32, "root_hash")
        timestamp = line.get("timestamp")
        if not isinstance(timestamp, str):
            raise BadTreeHead("timestamp is missing")
        public_key = _hex(line.get("public_key"), 32, "public_key")
        signature = _hex(line.get("signature"), 64, "signature")
        from_size, proof = _consistency(line.get("consistency"))
        return cls(size, root_hash, timestamp, public_key, signature, from_size, proof)


def _size(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadTreeHead(f"{name} is not a size")
    return value


def _hex(value: Any, length: int, name: str) -> str:
    """`value` if it is `length` bytes in lowercase hex."""
    try:
        if not isinstance(value, str) or value != value.lower():
            raise ValueError
        if len(bytes.fromhex(value)) != length:
            raise ValueError
    except ValueError:
        raise BadTreeHead(f"{name} is not {length} bytes of lowercase hex") from None
    return value


def _consistency(value: Any) -> tuple[int | None, tuple[str, ...]]:
    if value is None:
        return None, ()
    if not isinstance(value, dict):
        raise BadTreeHead("consistency is not an object")
    from_size = _size(value.get("from_size"), "consistency.from_size")
    proof = value.get("proof")
    if not isinstance(proof, list):
        raise BadTreeHead("consistency.proof is not a list of hashes")
    return from_size, tuple(_hex(item, 32, "a consistency proof hash") for item in proof)


def root_file(settings: Settings) -> Path:
    """Where heads are published: ``audit_root_file``, or ``published/audit-roots.jsonl``
    in the data directory."""
    return settings.audit_root_file or settings.data_dir / "published" / "audit-roots.jsonl"


def raw_public_key(key: Ed25519PrivateKey) -> bytes:
    """The public half of `key`, 32 raw bytes."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """The key that signs published tree heads (``secrets/audit-signing.key`` in
    `data_dir`, created on first use)."""
    return Ed25519PrivateKey.from_private_bytes(audit_signing_seed(data_dir))


def public_key(data_dir: Path) -> bytes:
    """The public half of :func:`signing_key`; FileNotFoundError when no head was ever
    published from `data_dir` (the key is not created here)."""
    seed = audit_signing_seed(data_dir, create=False)
    return raw_public_key(Ed25519PrivateKey.from_private_bytes(seed))


def publish(db: Session, *, key: Ed25519PrivateKey, to: Path, now: datetime) -> SignedTreeHead:
    """Append the signed head of the whole tree to the file `to` (one JSON line each),
    with the consistency proof from the head published last there, and return it.

    :class:`PublishRefused`, and nothing appended, when the trail's history does
    not extend that head (entries rewritten or removed), or when the last line is
    not a head signed with `key`.
    """
    to.parent.mkdir(parents=True, exist_ok=True)
    with open(to, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one publisher at a time extends the file
        handle.seek(0)
        previous = _last_head(handle, to, raw_public_key(key))
        head = _next_head(db, key, previous, now)
        handle.write(head.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return head


def publish_with(
    db: Session, settings: Settings, *, now: datetime, to: Path | None = None
) -> SignedTreeHead:
    """:func:`publish` with the data directory's key, to `to` or :func:`root_file`."""
    key = signing_key(settings.data_dir)
    return publish(db, key=key, to=to or root_file(settings), now=now)


def _last_head(handle: IO[str], path: Path, mine: bytes) -> SignedTreeHead | None:
    number, last = 0, ""
    for number, line in enumerate(handle, 1):  # noqa: B007 (the last one is wanted)
        last = line
    if not last.strip():
        return None
    try:
        head = SignedTreeHead.from_json(last)
    except BadTreeHead as exc:
        raise PublishRefused(f"line {number} of {path} is not a signed tree head: {exc}") from exc
    if not head.signed_by(mine):
        raise PublishRefused(f"line {number} of {path} is not signed by this deployment's key")
    return head


def _next_head(
    db: Session, key: Ed25519PrivateKey, previous: SignedTreeHead | None, now: datetime
) -> SignedTreeHead:
    state = audit.tree_state(db)
    if previous is None:
        return SignedTreeHead.sign(key, audit.root(db, state.size), now)
    if not _extends(db, state, previous.head):
        raise PublishRefused(_mismatch(state, previous.head, f"at {previous.timestamp}"))
    proof = audit.prove_consistency(db, previous.tree_size, state.size)
    return SignedTreeHead.sign(key, proof.new, now, proof)


def _mismatch(state: audit.TreeState, head: audit.TreeHead, when: str, after: int = 0) -> str:
    """What is wrong when the trail does not extend `head`, published `when`, though it
    extends the head of `after` entries published before it."""
    if head.size > state.size:
        return (
            f"the trail's history tree has {state.size} entries, fewer than the {head.size} "
            f"of the head published {when}: entries were removed"
        )
    if head.size == 0:
        return f"the root published {when} for the empty tree is not the empty tree's"
    return (
        f"the trail is not the history published {when} ({head.size} entries): an entry "
        f"from {state.seq_of(after)} to {state.seq_of(head.size - 1)} was changed since"
    )


@dataclass(frozen=True)
class AgainstReport:
    """The result of checking the trail against published heads: one line either way."""

    ok: bool
    message: str


def read_published(path: Path) -> list[SignedTreeHead]:
    """The heads in a file written by :func:`publish`; :class:`PublishedUnreadable`
    names the first line that is not one (or a missing, unreadable or empty file)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishedUnreadable(f"cannot read {path}: {exc}") from exc
    heads = []
    for number, line in enumerate(lines, 1):
        try:
            heads.append(SignedTreeHead.from_json(line))
        except BadTreeHead as exc:
            raise PublishedUnreadable(f"line {number} of {path}: {exc}") from exc
    if not heads:
        raise PublishedUnreadable(f"{path} holds no published tree heads")
    return heads


def verify_against(db: Session, head: audit.TreeHead) -> AgainstReport:
    """Whether the trail's history extends `head`, a tree head published before: the
    database's own nodes must prove it (RFC 9162 consistency)."""
    state = audit.tree_state(db)
    if _extends(db, state, head):
        return AgainstReport(True, f"consistent with the root of {head.size} entries given")
    return AgainstReport(False, _mismatch(state, head, "before"))


def verify_published(db: Session, heads: Sequence[SignedTreeHead], key: bytes) -> AgainstReport:
    """Whether `heads` (a published file's, oldest first) are signed with the public
    `key`, each extends the one before, and the trail extends them all; the first
    thing wrong, in one line, otherwise."""
    for number, head in enumerate(heads, 1):
        if not head.signed_by(key):
            return AgainstReport(False, f"line {number}: its signature does not verify")
        if number > 1 and not head.extends(heads[number - 2]):
            return AgainstReport(
                False, f"line {number} does not extend line {number - 1}: not one history"
            )
    state = audit.tree_state(db)
    newest = heads[-1]
    if _extends(db, state, newest.head):
        plural = "s" if len(heads) > 1 else ""
        return AgainstReport(
            True,
            f"consistent with {len(heads)} published head{plural}, the newest of "
            f"{newest.tree_size} entries published at {newest.timestamp}",
        )
    low, high = 0, len(heads) - 1  # heads[high] is not extended; find the first such
    while low < high:
        middle = (low + high) // 2
        if _extends(db, state, heads[middle].head):
            low = middle + 1
        else:
            high = middle
    after = heads[low - 1].tree_size if low else 0
    return AgainstReport(
        False, _mismatch(state, heads[low].head, f"at {heads[low].timestamp}", after)
    )


def _extends(db: Session, state: audit.TreeState, head: audit.TreeHead) -> bool:
    """Whether the stored tree extends `head`: the consistency proof the database
    gives verifies against the published root."""
    if head.size > state.size:
        return False
    proof = audit.prove_consistency(db, head.size, state.size)
    return audit.ConsistencyProof(head, proof.new, proof.path).verify()
