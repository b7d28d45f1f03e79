use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;
use crate::api::{Metric, MetricProvider, PrometheusMetric};

fn metric(name: &str) -> Metric {
    Metric {
        name: name.to_owned(),
        provider: MetricProvider {
            prometheus: Some(PrometheusMetric::default()),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn defaults_and_effective_count() {
    let s = MetricSettings::of(&metric("m")).expect("valid");
    assert_eq!(
        (
            s.failure_limit,
            s.inconclusive_limit,
            s.consecutive_error_limit,
            s.consecutive_success_limit
        ),
        (0, 0, 4, 0)
    );
    assert_eq!(
        s.effective_count(),
        Some(1),
        "no count, no interval: one measurement"
    );

    let mut m = metric("m");
    m.interval = Some("20s".into());
    assert_eq!(
        MetricSettings::of(&m).expect("valid").effective_count(),
        None
    );
    m.count = Some(IntOrString::Int(0));
    assert_eq!(
        MetricSettings::of(&m).expect("valid").effective_count(),
        None
    );
    m.count = Some(IntOrString::String("5".into()));
    assert_eq!(
        MetricSettings::of(&m).expect("valid").effective_count(),
        Some(5)
    );
    m.initial_delay = Some("1m".into());
    assert_eq!(
        MetricSettings::of(&m).expect("valid").initial_delay,
        Some(std::time::Duration::from_secs(60))
    );
}

#[test]
fn unreadable_numbers_name_the_field() {
    let mut m = metric("rate");
    m.failure_limit = Some(IntOrString::String("{{args.limit}}".into()));
    assert_eq!(
        MetricSettings::of(&m).map_err(|e| e.to_string()),
        Err("metric \"rate\": failureLimit \"{{args.limit}}\" is not an integer".to_owned())
    );
    let mut m = metric("rate");
    m.interval = Some("soon".into());
    assert!(
        MetricSettings::of(&m)
            .map_err(|e| e.to_string())
            .is_err_and(|e| e.starts_with("metric \"rate\": interval: duration \"soon\""))
    );
}

#[test]
fn validation_rules() {
    type Tweak = fn(&mut MetricSettings);
    let cases: Vec<(Tweak, Option<&str>)> = vec![
        (|_| {}, None),
        (
            |s| s.consecutive_success_limit = -1,
            Some("consecutiveSuccessLimit must be >= 0"),
        ),
        (|s| s.failure_limit = -2, Some("failureLimit must be >= -1")),
        (|s| s.failure_limit = -1, Some("cannot both be disabled")),
        (
            |s| {
                s.failure_limit = -1;
                s.consecutive_success_limit = 1
            },
            None,
        ),
        (
            |s| s.inconclusive_limit = -1,
            Some("inconclusiveLimit must be >= 0"),
        ),
        (
            |s| s.consecutive_error_limit = -1,
            Some("consecutiveErrorLimit must be >= 0"),
        ),
        (
            |s| {
                s.count = 2;
                s.failure_limit = 3
            },
            Some("count (2) must be >= failureLimit (3) + consecutiveSuccessLimit (0)"),
        ),
        (
            |s| {
                s.count = 3;
                s.failure_limit = 1;
                s.consecutive_success_limit = 2
            },
            None,
        ),
        (
            |s| {
                s.count = 3;
                s.failure_limit = 2;
                s.consecutive_success_limit = 2
            },
            Some("must be >= failureLimit (2) + consecutiveSuccessLimit (2)"),
        ),
        (
            |s| {
                s.count = 2;
                s.inconclusive_limit = 3
            },
            Some("count (2) must be >= inconclusiveLimit (3)"),
        ),
        (
            |s| {
                s.count = 2;
                s.interval = None
            },
            Some("interval must be set when count (2) is greater than 1"),
        ),
        (
            |s| {
                s.count = 1;
                s.interval = None
            },
            None,
        ),
    ];
    for (tweak, want) in cases {
        let mut s = settings("m");
        tweak(&mut s);
        let got = s.validate(0).map_err(|e| e.to_string());
        match want {
            None => assert_eq!(got, Ok(()), "{s:?}"),
            Some(needle) => assert!(
                got.as_ref()
                    .is_err_and(|e| e.contains(needle) && e.starts_with("metrics[0] \"m\": ")),
                "{s:?}: {got:?}"
            ),
        }
    }
}

#[test]
fn a_run_needs_unique_metrics_with_one_provider_each() {
    assert_eq!(settings_for(&[]), Err(SettingsError::NoMetrics));
    assert_eq!(
        settings_for(&[metric("a"), metric("a")]),
        Err(SettingsError::DuplicateName("a".into()))
    );
    let mut none = metric("a");
    none.provider.prometheus = None;
    assert!(
        settings_for(&[none])
            .map_err(|e| e.to_string())
            .is_err_and(|e| e.contains("exactly one provider must be set (found none)"))
    );
    let mut two = metric("a");
    two.provider.web = Some(serde_json::json!({}));
    assert!(
        settings_for(&[two])
            .map_err(|e| e.to_string())
            .is_err_and(|e| e.contains("(found prometheus, web)"))
    );
    assert_eq!(
        settings_for(&[metric("a"), metric("b")]).map(|s| s.len()),
        Ok(2)
    );
}
