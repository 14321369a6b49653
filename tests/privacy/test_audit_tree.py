"""The history tree's maths: RFC 9162 tree heads, inclusion and consistency proofs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpreta.privacy import audit_tree
from interpreta.privacy.audit_tree import NodeId

# Certificate Transparency's reference vectors (testonly/constants.go of
# google/certificate-transparency-go): eight leaves, the tree heads of their first
# 1..8, and a few audit paths and consistency proofs.
CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PATHS = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (1, 8): CT_PATHS[(0, 8)],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}


def _leaves(count: int, salt: int = 0) -> list[bytes]:
    return [audit_tree.leaf_hash(f"{salt}:{i}".encode()) for i in range(count)]


def _frozen(leaves: Sequence[bytes]) -> dict[NodeId, bytes]:
    """Every node the append path freezes for `leaves`."""
    nodes: dict[NodeId, bytes] = {}
    for index, leaf in enumerate(leaves):
        nodes.update(audit_tree.appended(index, leaf, nodes))
    return nodes


def _mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162's recursive definition of the Merkle Tree Hash, as written there."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return audit_tree.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


CT_NODES = _frozen([audit_tree.leaf_hash(bytes.fromhex(d)) for d in CT_LEAVES])


@pytest.mark.parametrize("size", range(1, 9))
def test_audit_tree_heads_match_the_reference_vectors(size: int) -> None:
    assert audit_tree.root_hash(size, CT_NODES).hex() == CT_ROOTS[size - 1]


def test_audit_tree_the_empty_tree_has_the_hash_of_nothing() -> None:
    assert audit_tree.root_hash(0, {}) == hashlib.sha256(b"").digest()
    assert audit_tree.root_nodes(0) == []


@pytest.mark.parametrize(("index", "size"), sorted(CT_PATHS))
def test_audit_tree_inclusion_proofs_match_the_reference_vectors(index: int, size: int) -> None:
    proof = audit_tree.inclusion_proof(index, size, CT_NODES)
    assert [p.hex() for p in proof] == CT_PATHS[(index, size)]
    leaf = audit_tree.leaf_hash(bytes.fromhex(CT_LEAVES[index]))
    assert audit_tree.verify_inclusion(index, size, leaf, proof, bytes.fromhex(CT_ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_audit_tree_consistency_proofs_match_the_reference_vectors(old: int, new: int) -> None:
    proof = audit_tree.consistency_proof(old, new, CT_NODES)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[(old, new)]
    roots = bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1])
    assert audit_tree.verify_consistency(old, new, *roots, proof)


@given(st.integers(min_value=0, max_value=300))
def test_audit_tree_heads_from_frozen_nodes_are_the_rfc_hash(size: int) -> None:
    leaves = _leaves(size)
    nodes = _frozen(leaves)
    assert audit_tree.root_hash(size, nodes) == _mth(leaves)
    assert len(nodes) == 2 * size - size.bit_count()  # every perfect subtree, once
    assert len(audit_tree.root_nodes(size)) == size.bit_count()


@given(
    st.integers(min_value=1, max_value=2000).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n - 1))
    )
)
def test_audit_tree_every_inclusion_proof_verifies(case: tuple[int, int]) -> None:
    size, index = case
    leaves = _leaves(size)
    nodes = _frozen(leaves)
    assert audit_tree.inclusion_nodes(index, size) <= nodes.keys()
    proof = audit_tree.inclusion_proof(index, size, nodes)
    assert len(proof) <= (size - 1).bit_length()  # O(log n) hashes
    root = audit_tree.root_hash(size, nodes)
    assert audit_tree.verify_inclusion(index, size, leaves[index], proof, root)


@given(
    st.integers(min_value=2, max_value=600).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(0, n - 1))
    ),
    st.data(),
)
def test_audit_tree_an_altered_leaf_or_path_fails_inclusion(
    case: tuple[int, int, int], data: st.DataObject
) -> None:
    size, index, other = case
    leaves = _leaves(size)
    nodes = _frozen(leaves)
    proof = audit_tree.inclusion_proof(index, size, nodes)
    root = audit_tree.root_hash(size, nodes)
    assert not audit_tree.verify_inclusion(index, size, _flip(leaves[index]), proof, root)
    if other != index:
        assert not audit_tree.verify_inclusion(other, size, leaves[index], proof, root)
    assert not audit_tree.verify_inclusion(index, size, leaves[index], proof, _flip(root))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        altered = [*proof[:at], _flip(proof[at]), *proof[at + 1 :]]
        assert not audit_tree.verify_inclusion(index, size, leaves[index], altered, root)
        assert not audit_tree.verify_inclusion(index, size, leaves[index], proof[:-1], root)
    assert not audit_tree.verify_inclusion(index, size, leaves[index], [*proof, root], root)


@given(
    st.integers(min_value=0, max_value=2000).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    )
)
def test_audit_tree_every_consistency_proof_verifies(case: tuple[int, int]) -> None:
    old, new = case
    leaves = _leaves(new)
    nodes = _frozen(leaves)
    assert audit_tree.consistency_nodes(old, new) <= nodes.keys()
    proof = audit_tree.consistency_proof(old, new, nodes)
    assert len(proof) <= 2 * new.bit_length()  # O(log n) hashes
    old_root, new_root = audit_tree.root_hash(old, nodes), audit_tree.root_hash(new, nodes)
    assert old_root == _mth(leaves[:old])
    assert audit_tree.verify_consistency(old, new, old_root, new_root, proof)


@given(
    st.integers(min_value=2, max_value=600).flatmap(
        lambda n: st.integers(1, n - 1).flatmap(
            lambda m: st.tuples(st.just(m), st.just(n), st.integers(0, m - 1))
        )
    ),
    st.data(),
)
def test_audit_tree_a_rewritten_history_or_altered_proof_fails_consistency(
    case: tuple[int, int, int], data: st.DataObject
) -> None:
    old, new, changed = case  # leaf `changed` of the first `old` is rewritten
    leaves = _leaves(new)
    nodes = _frozen(leaves)
    proof = audit_tree.consistency_proof(old, new, nodes)
    old_root, new_root = audit_tree.root_hash(old, nodes), audit_tree.root_hash(new, nodes)
    rewritten = [*leaves[:changed], _flip(leaves[changed]), *leaves[changed + 1 :]]
    forged = _frozen(rewritten)
    forged_proof = audit_tree.consistency_proof(old, new, forged)
    forged_root = audit_tree.root_hash(new, forged)
    # a history rewritten anywhere gives no proof that it extends the old head
    assert not audit_tree.verify_consistency(old, new, old_root, forged_root, forged_proof)
    assert not audit_tree.verify_consistency(old, new, old_root, forged_root, proof)
    at = data.draw(st.integers(0, len(proof) - 1))
    altered = [*proof[:at], _flip(proof[at]), *proof[at + 1 :]]
    assert not audit_tree.verify_consistency(old, new, old_root, new_root, altered)
    assert not audit_tree.verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not audit_tree.verify_consistency(old, new, _flip(old_root), new_root, proof)
    assert not audit_tree.verify_consistency(new, old, new_root, old_root, proof)


def test_audit_tree_trivial_consistency() -> None:
    leaves = _leaves(5)
    nodes = _frozen(leaves)
    root = audit_tree.root_hash(5, nodes)
    assert audit_tree.consistency_proof(5, 5, nodes) == []
    assert audit_tree.verify_consistency(5, 5, root, root, [])
    assert not audit_tree.verify_consistency(5, 5, root, _flip(root), [])
    assert audit_tree.verify_consistency(0, 5, audit_tree.EMPTY_ROOT, root, [])
    assert not audit_tree.verify_consistency(0, 5, root, root, [])


def test_audit_tree_appending_reads_only_the_siblings_it_folds_with() -> None:
    leaves = _leaves(64)
    nodes = _frozen(leaves)
    for index in range(64):
        needs = audit_tree.append_needs(index)
        given_only = {node: nodes[node] for node in needs}
        frozen = audit_tree.appended(index, leaves[index], given_only)
        assert frozen == [(node, nodes[node]) for node, _ in frozen]
        assert len(needs) == len(frozen) - 1  # one sibling per completed subtree


def test_audit_tree_ranges_outside_the_tree_are_refused() -> None:
    with pytest.raises(ValueError):
        audit_tree.inclusion_ranges(5, 5)
    with pytest.raises(ValueError):
        audit_tree.consistency_ranges(6, 5)
    with pytest.raises(ValueError):
        audit_tree.range_nodes(1, 4)  # not a subtree's range
