//! One measurement's verdict from its success and failure conditions (Argo's `EvaluateResult`).
//! The truth table follows Argo's code, not its docs: with no condition at all a measurement is
//! Successful (the docs say Inconclusive).

use crate::analysis::expr::{CompileError, Program, Value};
use crate::api::{AnalysisPhase, Metric};

/// A metric's conditions, compiled once and reused for each of its measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct Conditions {
    success: Option<Condition>,
    failure: Option<Condition>,
}

#[derive(Clone, Debug, PartialEq)]
struct Condition {
    field: &'static str,
    source: String,
    program: Result<Program, CompileError>,
}

/// A measurement's phase and, for Error, why.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    pub phase: AnalysisPhase,
    pub message: Option<String>,
}

impl Condition {
    fn new(field: &'static str, source: Option<&str>) -> Option<Condition> {
        let source = source.filter(|s| !s.trim().is_empty())?;
        Some(Condition {
            field,
            source: source.to_owned(),
            program: Program::compile(source),
        })
    }

    /// Evaluates to a bool or explains, in Argo's words, why not. An empty or nil result gets
    /// the "no data" explanation (with the query, when known) instead of an index error, since
    /// that is what actually went wrong.
    fn eval(&self, result: &Value, query: Option<&str>) -> Result<bool, String> {
        let outcome = match &self.program {
            Ok(program) => program.eval_bool(result).map_err(|e| e.to_string()),
            Err(compile) => Err(compile.to_string()),
        };
        outcome.map_err(|reason| {
            let prefix = format!("could not evaluate {} \"{}\"", self.field, self.source);
            if result.is_nil_or_empty() && self.program.is_ok() {
                let mut message =
                    format!("{prefix}: metric result is nil or empty: no data returned from the metric provider");
                if let Some(query) = query {
                    message.push_str(" for query: ");
                    message.push_str(&collapse_whitespace(query));
                }
                message
            } else {
                format!("{prefix}: {reason}")
            }
        })
    }
}

/// Multi-line PromQL reads better on one line in a status message.
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Conditions {
    pub fn new(success: Option<&str>, failure: Option<&str>) -> Conditions {
        Conditions {
            success: Condition::new("successCondition", success),
            failure: Condition::new("failureCondition", failure),
        }
    }

    pub fn of(metric: &Metric) -> Conditions {
        Conditions::new(
            metric.success_condition.as_deref(),
            metric.failure_condition.as_deref(),
        )
    }

    /// The first compile error, so callers (validation, `gitcanary validate`) can report a
    /// broken condition before any measurement.
    pub fn compile_error(&self) -> Option<String> {
        [&self.success, &self.failure]
            .into_iter()
            .flatten()
            .find_map(|c| {
                c.program
                    .as_ref()
                    .err()
                    .map(|e| format!("{} \"{}\": {e}", c.field, c.source))
            })
    }

    /// Judges one result. `query` is the resolved query, quoted when the result is empty.
    pub fn judge(&self, result: &Value, query: Option<&str>) -> Judgement {
        let evaluate = |condition: &Option<Condition>| {
            condition
                .as_ref()
                .map(|c| c.eval(result, query))
                .transpose()
        };
        let success = match evaluate(&self.success) {
            Ok(v) => v,
            Err(message) => return error(message),
        };
        let failure = match evaluate(&self.failure) {
            Ok(v) => v,
            Err(message) => return error(message),
        };
        let phase = match (success, failure) {
            (None, None) => AnalysisPhase::Successful,
            (Some(true), None) => AnalysisPhase::Successful,
            (Some(false), None) => AnalysisPhase::Failed,
            (None, Some(true)) => AnalysisPhase::Failed,
            (None, Some(false)) => AnalysisPhase::Successful,
            (Some(_), Some(true)) => AnalysisPhase::Failed,
            (Some(true), Some(false)) => AnalysisPhase::Successful,
            (Some(false), Some(false)) => AnalysisPhase::Inconclusive,
        };
        Judgement {
            phase,
            message: None,
        }
    }
}

fn error(message: String) -> Judgement {
    Judgement {
        phase: AnalysisPhase::Error,
        message: Some(message),
    }
}
