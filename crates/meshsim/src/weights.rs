//! Weighted choice among a route's destinations, with Istio's reading of absent weights.

/// Weights as Istio reads them: a lone destination takes all traffic whatever its weight; when
/// several are listed, one without a weight gets 0 (the seed's canary destination starts that way).
/// Weights are relative, so 90/10 and 9/1 split alike.
pub fn effective(weights: &[Option<u32>]) -> Vec<u32> {
    match weights {
        [_] => vec![100],
        _ => weights.iter().map(|w| w.unwrap_or(0)).collect(),
    }
}

/// Sum of the weights, wide enough that no set of `u32` weights overflows.
pub fn total(weights: &[u32]) -> u64 {
    weights.iter().map(|&w| u64::from(w)).sum()
}

/// The destination that `roll` (uniform in `0..total(weights)`) lands on; `None` when every weight
/// is 0 (nothing to send to) or the roll is out of range.
pub fn pick(weights: &[u32], roll: u64) -> Option<usize> {
    let mut upper = 0u64;
    for (index, &weight) in weights.iter().enumerate() {
        upper += u64::from(weight);
        if roll < upper {
            return Some(index);
        }
    }
    None
}

/// Each weight as a rounded percentage of the total, for the legend; all 0 when the total is.
pub fn percentages(weights: &[u32]) -> Vec<u32> {
    let sum = total(weights);
    weights
        .iter()
        .map(|&w| match sum {
            0 => 0,
            // Rounded integer division; the result is at most 100, so it fits.
            _ => u32::try_from((u64::from(w) * 200 + sum) / (sum * 2)).unwrap_or(100),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_weights() {
        let cases: &[(&[Option<u32>], &[u32])] = &[
            (&[None], &[100]),
            (&[Some(0)], &[100]),
            (&[Some(30)], &[100]),
            (&[Some(100), None], &[100, 0]),
            (&[Some(90), Some(10)], &[90, 10]),
            (&[None, None], &[0, 0]),
            (&[], &[]),
        ];
        for (input, want) in cases {
            assert_eq!(effective(input), *want, "{input:?}");
        }
    }

    #[test]
    fn picks_by_cumulative_weight() {
        let cases: &[(&[u32], u64, Option<usize>)] = &[
            (&[90, 10], 0, Some(0)),
            (&[90, 10], 89, Some(0)),
            (&[90, 10], 90, Some(1)),
            (&[90, 10], 99, Some(1)),
            (&[90, 10], 100, None),
            (&[0, 10], 0, Some(1)),
            (&[10, 0, 5], 12, Some(2)),
            (&[0, 0], 0, None),
            (&[], 0, None),
        ];
        for (weights, roll, want) in cases {
            assert_eq!(pick(weights, *roll), *want, "{weights:?} roll {roll}");
        }
    }

    #[test]
    fn every_roll_lands_in_proportion() {
        let weights = [90, 10];
        let mut counts = [0usize; 2];
        for roll in 0..total(&weights) {
            if let Some(i) = pick(&weights, roll) {
                counts[i] += 1;
            }
        }
        assert_eq!(counts, [90, 10]);
    }

    #[test]
    fn totals_do_not_overflow() {
        assert_eq!(total(&[u32::MAX, u32::MAX]), 2 * u64::from(u32::MAX));
    }

    #[test]
    fn legend_percentages() {
        let cases: &[(&[u32], &[u32])] = &[
            (&[90, 10], &[90, 10]),
            (&[9, 1], &[90, 10]),
            (&[1, 2], &[33, 67]),
            (&[0, 0], &[0, 0]),
            (&[100, 0], &[100, 0]),
        ];
        for (weights, want) in cases {
            assert_eq!(percentages(weights), *want, "{weights:?}");
        }
    }
}
