//! The RFC 9162 Merkle tree over a journal's records, and its two proofs. Its own crate so
//! that a client can check a proof without the journal.
//!
//! Hashing is the Certificate Transparency one (§2.1.1): a leaf is `SHA-256(0x00 ‖ leaf)`, an
//! interior node `SHA-256(0x01 ‖ left ‖ right)`, the empty tree `SHA-256("")`. The distinct
//! prefixes are what stop a node from passing as a leaf (second preimages). The split point is
//! the largest power of two below the size, not the midpoint: only that tree is the one every
//! other implementation computes, so only its roots prove anything to anyone else.
//!
//! [`Tree`] keeps every perfect subtree it has completed, level by level. That costs about two
//! hashes per leaf, and buys `O(log n)` roots at any past size (checkpoints are checked against
//! the root *at their size*) and `O(log² n)` proofs without rehashing the log.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use fusioncell_keys::sha256;

/// The leaf hash of `leaf` bytes: `SHA-256(0x00 ‖ leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(1 + leaf.len());
    buf.push(0x00);
    buf.extend_from_slice(leaf);
    sha256(&buf)
}

/// An interior node: `SHA-256(0x01 ‖ left ‖ right)`.
fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    sha256(&buf)
}

/// The root of the empty tree: `SHA-256("")`.
fn empty_root() -> [u8; 32] {
    sha256(b"")
}

/// The largest power of two strictly below `n` (RFC 9162's split point `k`); `n` must be ≥ 2.
fn split(n: u64) -> u64 {
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// An append-only Merkle tree of leaf hashes.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[k][i]` is the root of the perfect subtree over leaves `i·2^k .. (i+1)·2^k`;
    /// `levels[0]` are the leaf hashes. `levels[k].len() == len >> k`, so the last entry of
    /// every odd-length level is one member of the compact range `0..len`.
    levels: Vec<Vec<[u8; 32]>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf hash (see [`leaf_hash`]), completing every subtree it closes.
    pub fn push(&mut self, leaf: [u8; 32]) {
        let mut hash = leaf;
        let mut k = 0;
        loop {
            if self.levels.len() == k {
                self.levels.push(Vec::new());
            }
            let Some(level) = self.levels.get_mut(k) else {
                return;
            };
            level.push(hash);
            match level.as_slice() {
                [.., left, right] if level.len() % 2 == 0 => hash = node_hash(left, right),
                _ => return,
            }
            k += 1;
        }
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hash at `index`, if there is one.
    pub fn leaf(&self, index: u64) -> Option<[u8; 32]> {
        self.subtree(0, index)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The root now, folded from the compact range (one perfect subtree per set bit of the
    /// size), smallest first: `O(log n)`.
    pub fn root(&self) -> [u8; 32] {
        let mut acc: Option<[u8; 32]> = None;
        for level in &self.levels {
            if level.len() % 2 == 1
                && let Some(top) = level.last()
            {
                acc = Some(acc.map_or(*top, |right| node_hash(top, &right)));
            }
        }
        acc.unwrap_or_else(empty_root)
    }

    /// The root the tree had when it held `size` leaves; `None` if `size > len()`.
    pub fn root_at(&self, size: u64) -> Option<[u8; 32]> {
        if size > self.len() {
            return None;
        }
        let mut acc: Option<[u8; 32]> = None;
        for k in 0..u64::BITS {
            if size >> k == 0 {
                break;
            }
            if (size >> k) & 1 == 1 {
                let top = self.subtree(k, (size >> k) - 1)?;
                acc = Some(acc.map_or(top, |right| node_hash(&top, &right)));
            }
        }
        Some(acc.unwrap_or_else(empty_root))
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162
    /// §2.1.3.1), innermost sibling first; `None` unless `index < size <= len()`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<[u8; 32]>> {
        if index >= size || size > self.len() {
            return None;
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof)?;
        Some(proof)
    }

    /// The proof that the tree at `old` leaves is a prefix of the tree at `new` leaves (RFC
    /// 9162 §2.1.4.1); empty when `old` is 0 or equals `new`. `None` unless
    /// `old <= new <= len()`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<[u8; 32]>> {
        if old > new || new > self.len() {
            return None;
        }
        let mut proof = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut proof)?;
        }
        Some(proof)
    }

    /// The stored root of the perfect subtree at level `k`, position `i`.
    fn subtree(&self, k: u32, i: u64) -> Option<[u8; 32]> {
        let level = self.levels.get(usize::try_from(k).ok()?)?;
        level.get(usize::try_from(i).ok()?).copied()
    }

    /// MTH of leaves `start..end`. Every range the RFC recursion asks for starts on a multiple
    /// of a power of two at least as large as the range, so this is one lookup per level.
    fn mth(&self, start: u64, end: u64) -> Option<[u8; 32]> {
        let n = end.checked_sub(start)?;
        if end > self.len() {
            return None;
        }
        match n {
            0 => Some(empty_root()),
            _ if n.is_power_of_two() && start.is_multiple_of(n) => {
                self.subtree(n.trailing_zeros(), start >> n.trailing_zeros())
            }
            _ => {
                let k = split(n);
                Some(node_hash(
                    &self.mth(start, start + k)?,
                    &self.mth(start + k, end)?,
                ))
            }
        }
    }

    /// `PATH(m, D[start..end])`.
    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<[u8; 32]>) -> Option<()> {
        let n = end - start;
        if n <= 1 {
            return Some(());
        }
        let k = split(n);
        if m < k {
            self.path(m, start, start + k, out)?;
            out.push(self.mth(start + k, end)?);
        } else {
            self.path(m - k, start + k, end, out)?;
            out.push(self.mth(start, start + k)?);
        }
        Some(())
    }

    /// `SUBPROOF(m, D[start..end], b)`.
    fn subproof(
        &self,
        m: u64,
        start: u64,
        end: u64,
        b: bool,
        out: &mut Vec<[u8; 32]>,
    ) -> Option<()> {
        let n = end - start;
        if m == n {
            if !b {
                out.push(self.mth(start, end)?);
            }
            return Some(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, b, out)?;
            out.push(self.mth(start + k, end)?);
        } else {
            self.subproof(m - k, start + k, end, false, out)?;
            out.push(self.mth(start, start + k)?);
        }
        Some(())
    }
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2): that `leaf` is leaf `index` of the tree of
/// `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &[u8; 32],
    index: u64,
    size: u64,
    proof: &[[u8; 32]],
    root: &[u8; 32],
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of `old_size` leaves with
/// root `old_root` is a prefix of the tree of `new_size` leaves with root `new_root`.
///
/// Beyond the RFC's `0 < old < new`: equal sizes need an empty proof and equal roots, and the
/// empty tree (whose root must be `SHA-256("")`) is a prefix of every tree, with an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &[u8; 32],
    new_root: &[u8; 32],
    proof: &[[u8; 32]],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty() && *old_root == empty_root();
    }
    let mut path = proof.iter();
    // Step 2: when the old tree is a perfect subtree, its root is the path's implicit start.
    let first = if old_size.is_power_of_two() {
        Some(old_root)
    } else {
        path.next()
    };
    let Some(first) = first else {
        return false;
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in path {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *old_root && sr == *new_root && sn == 0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// RFC 9162 §2.1.1 written as the recursion it is, to check the compact version against.
    fn naive_root(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves {
            [] => empty_root(),
            [one] => *one,
            _ => {
                let k = split(leaves.len() as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn leaves(n: u64) -> Vec<[u8; 32]> {
        (0..n)
            .map(|i| leaf_hash(format!("record-{i}").as_bytes()))
            .collect()
    }

    fn tree_of(leaves: &[[u8; 32]]) -> Tree {
        let mut t = Tree::new();
        for l in leaves {
            t.push(*l);
        }
        t
    }

    fn h(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The Certificate Transparency reference vectors: without them a self-consistent but
    /// non-standard tree would pass every other test here.
    #[test]
    fn matches_rfc6962_reference_vectors() {
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut t = Tree::new();
        assert_eq!(t.root(), h(roots[0]));
        for d in data {
            t.push(leaf_hash(d));
            assert_eq!(hex::encode(t.root()), roots[t.len() as usize]);
        }
        for (size, root) in roots.iter().enumerate() {
            assert_eq!(t.root_at(size as u64), Some(h(root)), "size {size}");
        }
        let proofs: [(u64, u64, &[&str]); 2] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (index, size, want) in proofs {
            let want: Vec<[u8; 32]> = want.iter().map(|s| h(s)).collect();
            assert_eq!(t.inclusion_proof(index, size), Some(want));
        }
        let consistency: [(u64, u64, &[&str]); 2] = [
            (
                2,
                8,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (old, new, want) in consistency {
            let want: Vec<[u8; 32]> = want.iter().map(|s| h(s)).collect();
            assert_eq!(t.consistency_proof(old, new), Some(want));
        }
    }

    #[test]
    fn root_matches_naive_recursion_for_sizes_0_to_70() {
        let all = leaves(70);
        let mut t = Tree::new();
        assert_eq!(t.root(), naive_root(&[]));
        for (i, l) in all.iter().enumerate() {
            t.push(*l);
            assert_eq!(t.len(), i as u64 + 1);
            assert_eq!(t.root(), naive_root(&all[..=i]), "size {}", i + 1);
        }
        for size in 0..=70u64 {
            assert_eq!(
                t.root_at(size),
                Some(naive_root(&all[..size as usize])),
                "root_at({size})"
            );
        }
        assert_eq!(t.root_at(71), None);
    }

    #[test]
    fn every_inclusion_proof_verifies_and_fails_when_altered() {
        let all = leaves(70);
        let t = tree_of(&all);
        for size in 1..=33u64 {
            let root = naive_root(&all[..size as usize]);
            for index in 0..size {
                let leaf = all[index as usize];
                let proof = t.inclusion_proof(index, size).unwrap();
                assert!(
                    verify_inclusion(&leaf, index, size, &proof, &root),
                    "{index}/{size}"
                );
                for j in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[j][7] ^= 0x01;
                    assert!(!verify_inclusion(&leaf, index, size, &bad, &root));
                }
                for other in [index + 1, index.wrapping_sub(1), index ^ 1] {
                    if other != index {
                        assert!(
                            !verify_inclusion(&leaf, other, size, &proof, &root),
                            "index {other} for {index}/{size}"
                        );
                    }
                }
                if !proof.is_empty() {
                    assert!(!verify_inclusion(
                        &leaf,
                        index,
                        size,
                        &proof[..proof.len() - 1],
                        &root
                    ));
                }
                // The root alone does not bind the size, but the path's shape does: claimed
                // for a size whose path has another length, the proof must fail.
                for other in [size + 1, size - 1, size * 2] {
                    let shape = t.inclusion_proof(index, other).map(|p| p.len());
                    if shape != Some(proof.len()) {
                        assert!(
                            !verify_inclusion(&leaf, index, other, &proof, &root),
                            "size {other} for {index}/{size}"
                        );
                    }
                }
                let mut longer = proof.clone();
                longer.push([0xab; 32]);
                assert!(!verify_inclusion(&leaf, index, size, &longer, &root));
                let mut bad_leaf = leaf;
                bad_leaf[0] ^= 1;
                assert!(!verify_inclusion(&bad_leaf, index, size, &proof, &root));
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_fails_when_altered() {
        let all = leaves(70);
        let t = tree_of(&all);
        for new in 1..=33u64 {
            let new_root = naive_root(&all[..new as usize]);
            for old in 1..=new {
                let old_root = naive_root(&all[..old as usize]);
                let proof = t.consistency_proof(old, new).unwrap();
                assert!(
                    verify_consistency(old, new, &old_root, &new_root, &proof),
                    "{old}->{new}"
                );
                for j in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[j][3] ^= 0x80;
                    assert!(
                        !verify_consistency(old, new, &old_root, &new_root, &bad),
                        "{old}->{new} hash {j}"
                    );
                }
                let mut bad_old = old_root;
                bad_old[0] ^= 1;
                assert!(!verify_consistency(old, new, &bad_old, &new_root, &proof));
                let mut bad_new = new_root;
                bad_new[0] ^= 1;
                assert!(!verify_consistency(old, new, &old_root, &bad_new, &proof));
                for (o, n) in [
                    (old, new + 1),
                    (old, new * 2),
                    (old + 1, new),
                    (old - 1, new),
                ] {
                    let shape = t.consistency_proof(o, n).map(|p| p.len());
                    if shape != Some(proof.len()) {
                        assert!(
                            !verify_consistency(o, n, &old_root, &new_root, &proof),
                            "sizes {o}->{n} for {old}->{new}"
                        );
                    }
                }
                let mut longer = proof.clone();
                longer.push([0xcd; 32]);
                assert!(!verify_consistency(old, new, &old_root, &new_root, &longer));
                if !proof.is_empty() {
                    let shorter = &proof[..proof.len() - 1];
                    assert!(!verify_consistency(old, new, &old_root, &new_root, shorter));
                }
                if old < new {
                    assert!(!verify_consistency(new, old, &new_root, &old_root, &proof));
                }
            }
        }
    }

    #[test]
    fn edge_cases_and_out_of_range() {
        let all = leaves(8);
        let t = tree_of(&all);
        let root8 = t.root();
        assert_eq!(t.inclusion_proof(8, 8), None);
        assert_eq!(t.inclusion_proof(0, 9), None);
        assert_eq!(t.consistency_proof(5, 3), None);
        assert_eq!(t.consistency_proof(0, 9), None);
        assert_eq!(t.consistency_proof(0, 8), Some(vec![]));
        assert_eq!(t.consistency_proof(8, 8), Some(vec![]));
        assert!(verify_consistency(0, 8, &empty_root(), &root8, &[]));
        assert!(!verify_consistency(0, 8, &root8, &root8, &[]));
        assert!(!verify_consistency(0, 8, &empty_root(), &root8, &[[0; 32]]));
        assert!(!verify_consistency(8, 8, &root8, &root8, &[[0; 32]]));
        assert!(!verify_consistency(
            6,
            8,
            &t.root_at(6).unwrap(),
            &root8,
            &[]
        ));
        assert!(!verify_inclusion(&all[0], 0, 0, &[], &empty_root()));
        let single = tree_of(&all[..1]);
        assert!(verify_inclusion(&all[0], 0, 1, &[], &single.root()));
    }

    proptest! {
        #[test]
        fn compact_root_matches_naive(seeds in proptest::collection::vec(any::<[u8; 8]>(), 0..300)) {
            let all: Vec<[u8; 32]> = seeds.iter().map(|s| leaf_hash(s)).collect();
            let t = tree_of(&all);
            prop_assert_eq!(t.root(), naive_root(&all));
            let mid = all.len() as u64 / 3;
            prop_assert_eq!(t.root_at(mid), Some(naive_root(&all[..mid as usize])));
        }
    }
}
