//! Stable sorting with one small implementation for every element type.
//!
//! Every `slice::sort*` call site instantiates the standard library's sort
//! (driftsort, or ipnsort for the unstable ones) for its element type and
//! comparator: about 4 KB of wasm each, and twelve sites made up ~56 KB of
//! the runtime wasm (`core::slice::sort`, measured with twiggy on a named
//! build). Here short slices get an insertion sort, which is small for each
//! type and allocates nothing (requests sort a handful of keys or roles),
//! and longer ones sort a list of positions with one merge sort shared by
//! every type (a `dyn` comparator), then move the elements into that order.
//!
//! Hand-written rather than the standard sort for that size, and because
//! the standard sort may panic when the comparator is not a total order
//! ("user-provided comparison function does not correctly implement a total
//! order"), which CEL's `sort()` over a list with NaN is: a panic would
//! trap the wasm instance, while the engine must fail closed.

use std::cmp::Ordering;

/// Slices up to this length are insertion-sorted in place, as the standard
/// stable sort does (so even a comparator that is not a total order, such as
/// CEL's over lists with NaN, gives the same order as `slice::sort_by`).
const INSERTION_MAX: usize = 20;

/// Sorts `v` by `cmp`, keeping equal elements in their order (as
/// `slice::sort_by` does).
pub(crate) fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() <= INSERTION_MAX {
        insertion_sort(v, &mut cmp);
        return;
    }
    let order = sorted_positions(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    permute(v, order);
}

/// Sorts `v` in its natural order, keeping equal elements in their order.
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Moves each element left past the greater ones before it (the standard
/// library's small-slice sort, comparison for comparison).
fn insertion_sort<T>(v: &mut [T], cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && cmp(&v[j], &v[j - 1]) == Ordering::Less {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// `0..len` stably sorted by `cmp` over positions: runs of
/// [`INSERTION_MAX`] insertion-sorted, then merged bottom-up.
fn sorted_positions(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    for run in order.chunks_mut(INSERTION_MAX) {
        insertion_sort(run, &mut |a: &usize, b: &usize| cmp(*a, *b));
    }
    let mut merged = vec![0; len];
    let mut width = INSERTION_MAX;
    while width < len {
        for (src, dst) in order.chunks(2 * width).zip(merged.chunks_mut(2 * width)) {
            let (left, right) = src.split_at(width.min(src.len()));
            merge(left, right, dst, cmp);
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Merges two sorted runs into `out`; on ties the left run's element comes
/// first, which keeps the sort stable.
// INVARIANT: `out.len() == left.len() + right.len()`.
fn merge(
    left: &[usize],
    right: &[usize],
    out: &mut [usize],
    cmp: &mut dyn FnMut(usize, usize) -> Ordering,
) {
    let (mut i, mut j) = (0, 0);
    for slot in out {
        let take_right = match (left.get(i), right.get(j)) {
            (Some(&l), Some(&r)) => cmp(r, l) == Ordering::Less,
            (None, _) => true,
            (_, None) => false,
        };
        if take_right {
            *slot = right.get(j).copied().unwrap_or_default();
            j += 1;
        } else {
            *slot = left.get(i).copied().unwrap_or_default();
            i += 1;
        }
    }
}

/// Rearranges `v` so that `v[i]` becomes the old `v[order[i]]`, following
/// each cycle of the permutation with swaps.
// INVARIANT: `order` is a permutation of `0..v.len()`.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut cur = start;
        // A position that is already in place (or was placed by an
        // earlier cycle) maps to itself.
        while order[cur] != start && order[cur] != cur {
            let next = order[cur];
            order[cur] = cur;
            v.swap(cur, next);
            cur = next;
        }
        order[cur] = cur;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence (xorshift), so the test needs
    /// no extra crate.
    fn sequence(len: usize, seed: u64, modulo: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % modulo
            })
            .collect()
    }

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        for len in [0, 1, 2, 3, 15, 16, 17, 40, 257, 1000] {
            for (seed, modulo) in [(1, 5), (7, 1000), (99, u64::MAX)] {
                // Pairs of (key, original position): equal keys must keep
                // their positions in order.
                let mut ours: Vec<(u64, usize)> = sequence(len, seed, modulo)
                    .into_iter()
                    .enumerate()
                    .map(|(i, k)| (k, i))
                    .collect();
                let mut std = ours.clone();
                sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
                std.sort_by_key(|a| a.0);
                assert_eq!(ours, std, "len {len}, seed {seed}");
            }
        }
    }

    #[test]
    fn a_comparator_that_is_not_a_total_order_neither_panics_nor_loses_elements() {
        // Key 0 plays NaN: it compares equal to everything, as CEL's
        // `sort()` treats incomparable values.
        let cmp = |a: &(u64, usize), b: &(u64, usize)| match (a.0, b.0) {
            (0, _) | (_, 0) => Ordering::Equal,
            (x, y) => x.cmp(&y),
        };
        for len in [2, 5, 19, 20, 21, 64, 300] {
            for seed in [3, 11, 12345] {
                let mut ours: Vec<(u64, usize)> = sequence(len, seed, 6)
                    .into_iter()
                    .enumerate()
                    .map(|(i, k)| (k, i))
                    .collect();
                let mut std = ours.clone();
                sort_by(&mut ours, cmp);
                if len <= INSERTION_MAX {
                    std.sort_by(cmp);
                    assert_eq!(ours, std, "len {len}, seed {seed}");
                } else {
                    // The standard sort may panic here; ours must not, and
                    // must keep every element.
                    let mut positions: Vec<usize> = ours.iter().map(|p| p.1).collect();
                    positions.sort_unstable();
                    assert_eq!(positions, (0..len).collect::<Vec<_>>());
                }
            }
        }
    }

    #[test]
    fn sorts_reversed_and_sorted_input() {
        let mut down: Vec<u32> = (0..100).rev().collect();
        sort(&mut down);
        assert_eq!(down, (0..100).collect::<Vec<_>>());
        let mut up: Vec<String> = (0..50).map(|i| format!("{i:03}")).collect();
        let want = up.clone();
        sort(&mut up);
        assert_eq!(up, want);
    }
}
