//! Small statistics and formatting helpers shared by the sections of the analysis bench.

/// Nearest-rank percentile of already sorted samples (`p` in 0..=100); `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub fn sorted(mut samples: Vec<f64>) -> Vec<f64> {
    samples.sort_by(f64::total_cmp);
    samples
}

pub fn median(samples: Vec<f64>) -> f64 {
    percentile(&sorted(samples), 50.0).unwrap_or(f64::NAN)
}

/// Reads an environment variable, or the default when unset or unparsable (said so on stderr).
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| {
            eprintln!("{name}={text:?} is not understood; using the default");
            default
        }),
        Err(_) => default,
    }
}

/// One line: a figure, and when there is a target, the figure over the target.
pub fn line(what: &str, value: f64, unit: &str, target: Option<f64>) {
    match target {
        Some(t) => println!(
            "  {what:<52} {value:>10.2} {unit:<4}  target {t:>7.1} {unit:<4} ratio {:.2}",
            value / t
        ),
        None => println!("  {what:<52} {value:>10.2} {unit}"),
    }
}
