//! Choosing which entries of a bounded map to forget: the `excess` lowest by some key (the
//! oldest cache entries, the rate-limit keys closest to a full refill), ties broken by the order
//! in which the entries are visited, so that exactly `excess` go.

use std::cmp::Ordering;

/// A removal plan, consulted once per entry while the map is walked with `retain`.
pub(crate) enum Evict<T> {
    /// Nothing to remove.
    Nothing,
    /// At least as many to remove as there are entries.
    Everything,
    /// Entries below `threshold` go, and the first `ties_to_drop` entries equal to it.
    Lowest {
        threshold: T,
        ties_to_drop: usize,
        cmp: fn(&T, &T) -> Ordering,
    },
}

impl<T: Copy> Evict<T> {
    /// The plan that removes the `excess` lowest of `keys` (one key per entry of the map).
    pub(crate) fn lowest(mut keys: Vec<T>, excess: usize, cmp: fn(&T, &T) -> Ordering) -> Self {
        if excess == 0 {
            return Self::Nothing;
        }
        if excess >= keys.len() {
            return Self::Everything;
        }
        let (_, &mut threshold, _) = keys.select_nth_unstable_by(excess - 1, cmp);
        let below = keys
            .iter()
            .filter(|key| cmp(key, &threshold).is_lt())
            .count();
        Self::Lowest {
            threshold,
            ties_to_drop: excess.saturating_sub(below),
            cmp,
        }
    }

    /// Whether the entry whose key is `key` goes.
    pub(crate) fn drops(&mut self, key: &T) -> bool {
        match self {
            Self::Nothing => false,
            Self::Everything => true,
            Self::Lowest {
                threshold,
                ties_to_drop,
                cmp,
            } => match cmp(key, threshold) {
                Ordering::Less => true,
                Ordering::Equal if *ties_to_drop > 0 => {
                    *ties_to_drop -= 1;
                    true
                }
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn drops_exactly_the_excess_lowest(keys in prop::collection::vec(0u8..8, 0..64), excess in 0usize..80) {
            let mut plan = Evict::lowest(keys.clone(), excess, u8::cmp);
            let dropped: Vec<u8> = keys.iter().copied().filter(|k| plan.drops(k)).collect();
            let kept: Vec<u8> = {
                let mut plan = Evict::lowest(keys.clone(), excess, u8::cmp);
                keys.iter().copied().filter(|k| !plan.drops(k)).collect()
            };
            prop_assert_eq!(dropped.len(), excess.min(keys.len()));
            if let (Some(max_dropped), Some(min_kept)) = (dropped.iter().max(), kept.iter().min()) {
                prop_assert!(max_dropped <= min_kept);
            }
        }
    }
}
