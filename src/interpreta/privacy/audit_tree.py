"""The audit trail's Merkle history tree: the hash maths.

A history tree (Crosby and Wallach, "Efficient Data Structures for Tamper-Evident
Logging", USENIX Security 2009) over the trail's entries, hashed as RFC 9162
(Certificate Transparency 2.0, section 2.1) hashes its Merkle trees: a leaf is
``SHA-256(0x00 || data)``, an interior node ``SHA-256(0x01 || left || right)``, and
the tree head of the first ``n`` leaves is their Merkle Tree Hash (MTH).

Nodes are named ``(level, position)``: the root of the perfect subtree over leaves
``position * 2**level`` to ``(position + 1) * 2**level - 1`` (level 0: the leaves).
Such a node never changes once its last leaf exists, so it is stored ("frozen")
when that leaf is appended. Every hash the RFC's proofs ask for is the MTH of a
range of leaves that starts on a multiple of a power of two at least its length;
that MTH is a fold of at most log2(n) frozen nodes (:func:`range_nodes`), so a root
or a proof costs O(log n) stored nodes, read at once.

Everything here is pure: functions take the stored nodes they need as a mapping
(:func:`root_nodes`, :func:`inclusion_nodes`, :func:`consistency_nodes` say which),
and the verifiers need only hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

NodeId = tuple[int, int]
"""A frozen node: (level, position)."""

Nodes = Mapping[NodeId, bytes]
"""Stored node hashes by node."""

Range = tuple[int, int]
"""Leaves ``start`` (included) to ``end`` (excluded)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The MTH of the empty tree (RFC 9162: the hash of the empty string)."""

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf holding `data`: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (``size`` >= 2): RFC 9162's k."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeId]:
    """The frozen nodes whose fold is MTH(leaves[start:end]), left to right.

    `start` must be a multiple of the smallest power of two at least ``end - start``,
    as every range of the RFC's recursions is: then each node is the largest perfect
    subtree that fits from where the previous one ended.
    """
    if not 0 <= start < end:
        raise ValueError(f"not a range of leaves: {start} to {end}")
    nodes: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"leaves {start} to {end} are not the range of a subtree")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def range_hash(start: int, end: int, nodes: Nodes) -> bytes:
    """MTH(leaves[start:end]) from the frozen nodes of :func:`range_nodes`."""
    ids = range_nodes(start, end)
    result = nodes[ids[-1]]
    for node in reversed(ids[:-1]):
        result = node_hash(nodes[node], result)
    return result


def root_nodes(size: int) -> list[NodeId]:
    """The frozen nodes a tree head of `size` leaves is folded from."""
    return range_nodes(0, size) if size else []


def root_hash(size: int, nodes: Nodes) -> bytes:
    """The tree head (MTH) of the first `size` leaves, from :func:`root_nodes`."""
    return range_hash(0, size, nodes) if size else EMPTY_ROOT


def _nodes_of(ranges: Sequence[Range]) -> set[NodeId]:
    return {node for start, end in ranges for node in range_nodes(start, end)}


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose MTHs make the audit path of leaf `index` in a tree of `size`
    leaves (RFC 9162 2.1.3.1, PATH(m, D[n])), from the leaf up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    return ranges[::-1]


def inclusion_nodes(index: int, size: int) -> set[NodeId]:
    """The frozen nodes :func:`inclusion_proof` reads."""
    return _nodes_of(inclusion_ranges(index, size))


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves."""
    return [range_hash(start, end, nodes) for start, end in inclusion_ranges(index, size)]


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges whose MTHs make the consistency proof from `old_size` leaves to
    `new_size` (RFC 9162 2.1.4.1, PROOF(m, D[n])); none when either is 0 or they are equal."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} leaves to {new_size}")
    if old_size in (0, new_size):
        return []
    outer: list[Range] = []
    start, end, old, whole = 0, new_size, old_size, True
    while old != end - start:
        middle = start + _split(end - start)
        if old <= middle - start:
            outer.append((middle, end))
            end = middle
        else:
            outer.append((start, middle))
            old -= middle - start
            start, whole = middle, False
    inner = [] if whole else [(start, end)]
    return inner + outer[::-1]


def consistency_nodes(old_size: int, new_size: int) -> set[NodeId]:
    """The frozen nodes :func:`consistency_proof` reads."""
    return _nodes_of(consistency_ranges(old_size, new_size))


def consistency_proof(old_size: int, new_size: int, nodes: Nodes) -> list[bytes]:
    """The proof that the tree of `new_size` leaves extends the one of `old_size`."""
    return [range_hash(s, e, nodes) for s, e in consistency_ranges(old_size, new_size)]


def _climb_to_right_child(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until `fn` is odd (a right child) or 0 (RFC 9162 2.1.3.2)."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows the leaf hash `leaf` at `index` in the tree of `size`
    leaves whose head is `root` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            fn, sn = _climb_to_right_child(fn, sn)
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows that the tree of `new_size` leaves with head `new_root`
    extends the tree of `old_size` leaves with head `old_root` (RFC 9162 2.1.4.2).

    Every tree extends the empty one; a tree is consistent with itself when the heads
    are equal (both with an empty proof).
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return old_root == EMPTY_ROOT and not proof
    if old_size == new_size:
        return old_root == new_root and not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(sibling, fr), node_hash(sibling, sr)
            fn, sn = _climb_to_right_child(fn, sn)
        else:
            sr = node_hash(sr, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def append_needs(index: int) -> list[NodeId]:
    """The nodes that appending leaf `index` folds with: the left siblings of the
    perfect subtrees it completes, from level 0 up."""
    needs: list[NodeId] = []
    level, position = 0, index
    while position & 1:
        needs.append((level, position - 1))
        level, position = level + 1, position >> 1
    return needs


def appended(index: int, leaf: bytes, nodes: Nodes) -> list[tuple[NodeId, bytes]]:
    """The nodes frozen when leaf `index` (hash `leaf`) is appended: the leaf, and every
    perfect subtree it completes, bottom up; `nodes` holds :func:`append_needs`."""
    frozen = [((0, index), leaf)]
    level, position, value = 0, index, leaf
    while position & 1:
        value = node_hash(nodes[(level, position - 1)], value)
        level, position = level + 1, position >> 1
        frozen.append(((level, position), value))
    return frozen
