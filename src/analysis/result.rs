//! What a provider measured, before judgement: a number (Prometheus scalar) or a list of numbers
//! (instant vector, or a range query's samples flattened). Empty lists are legal results; whether
//! "no data" is a problem is for the condition to say.

use std::fmt;

use super::expr::{Value, format_float};

#[derive(Clone, Debug, PartialEq)]
pub enum MeasurementValue {
    Scalar(f64),
    Vector(Vec<f64>),
}

impl MeasurementValue {
    /// `result` as conditions see it: a float64 or a []float64, as in Argo.
    pub fn to_value(&self) -> Value {
        match self {
            MeasurementValue::Scalar(x) => Value::Float(*x),
            MeasurementValue::Vector(xs) => {
                Value::Array(xs.iter().copied().map(Value::Float).collect())
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, MeasurementValue::Vector(xs) if xs.is_empty())
    }
}

/// `measurement.value` as Argo writes it: `0.95`, `NaN`, `+Inf`, `[10,11]`, `[]`.
impl fmt::Display for MeasurementValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeasurementValue::Scalar(x) => f.write_str(&format_float(*x)),
            MeasurementValue::Vector(xs) => {
                let parts: Vec<String> = xs.iter().map(|x| format_float(*x)).collect();
                write!(f, "[{}]", parts.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_like_argo() {
        let cases = [
            (MeasurementValue::Scalar(0.95), "0.95"),
            (MeasurementValue::Scalar(10.0), "10"),
            (MeasurementValue::Scalar(-0.5), "-0.5"),
            (MeasurementValue::Scalar(1e21), "1000000000000000000000"),
            (MeasurementValue::Scalar(1.5e-7), "0.00000015"),
            (MeasurementValue::Scalar(f64::NAN), "NaN"),
            (MeasurementValue::Scalar(f64::INFINITY), "+Inf"),
            (MeasurementValue::Scalar(f64::NEG_INFINITY), "-Inf"),
            (MeasurementValue::Vector(vec![10.0, 11.0]), "[10,11]"),
            (MeasurementValue::Vector(vec![0.95]), "[0.95]"),
            (MeasurementValue::Vector(vec![f64::NAN, 1.25]), "[NaN,1.25]"),
            (MeasurementValue::Vector(vec![]), "[]"),
        ];
        for (value, want) in cases {
            assert_eq!(value.to_string(), want, "{value:?}");
        }
    }

    #[test]
    fn empty_only_for_empty_vectors() {
        assert!(MeasurementValue::Vector(vec![]).is_empty());
        assert!(!MeasurementValue::Vector(vec![1.0]).is_empty());
        assert!(!MeasurementValue::Scalar(f64::NAN).is_empty());
        assert_eq!(
            MeasurementValue::Vector(vec![1.0]).to_value(),
            Value::Array(vec![Value::Float(1.0)])
        );
    }
}
