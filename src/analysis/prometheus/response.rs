//! Reading a Prometheus API answer (status code + JSON body) into a measurement value, with the
//! Go client's rules for which status codes carry an API error body.

use serde::Deserialize;

use crate::analysis::MeasurementValue;

use super::ProviderError;

/// The value and any warnings Prometheus attached.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResponse {
    pub value: MeasurementValue,
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

/// `[timestamp, "value"]`.
#[derive(Deserialize)]
struct Sample(serde::de::IgnoredAny, String);

#[derive(Deserialize)]
struct VectorSample {
    #[serde(default)]
    value: Option<Sample>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    values: Vec<Sample>,
}

/// Sample values are strings so that `NaN` and `±Inf` survive JSON.
fn number(text: &str) -> Result<f64, ProviderError> {
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        other => other.parse().map_err(|_| {
            ProviderError::BadResponse(format!("sample value {other:?} is not a number"))
        }),
    }
}

fn decode<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> Result<T, ProviderError> {
    serde_json::from_value(json).map_err(|e| ProviderError::BadResponse(e.to_string()))
}

/// A status code's error when the body is not a Prometheus API answer (only 400 and 422 are).
fn status_error(status: u16, body: &[u8]) -> ProviderError {
    let detail: String = String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    let what = match status / 100 {
        4 => format!("client error: {status}"),
        5 => format!("server error: {status}"),
        _ => format!("bad response code {status}"),
    };
    ProviderError::HttpStatus(if detail.trim().is_empty() {
        what
    } else {
        format!("{what}: {}", detail.trim())
    })
}

/// Turns an HTTP answer into a value: scalar → number, vector → the samples' values in order,
/// matrix → every sample of every series, flattened. An empty vector is an empty list, not an
/// error; the condition decides what no data means.
pub fn parse_response(status: u16, body: &[u8]) -> Result<QueryResponse, ProviderError> {
    let carries_api_error = status == 400 || status == 422;
    if status / 100 != 2 && !carries_api_error {
        return Err(status_error(status, body));
    }
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| ProviderError::BadResponse(e.to_string()))?;
    if envelope.status == "error" {
        return Err(ProviderError::Api {
            kind: envelope.error_type.unwrap_or_else(|| "error".to_owned()),
            message: envelope.error.unwrap_or_default(),
        });
    }
    if carries_api_error {
        return Err(ProviderError::BadResponse(
            "inconsistent body for response code".to_owned(),
        ));
    }
    let data = envelope
        .data
        .ok_or_else(|| ProviderError::BadResponse("no data in a successful response".to_owned()))?;
    let value = match data.result_type.as_str() {
        "scalar" => {
            let sample: Sample = decode(data.result)?;
            MeasurementValue::Scalar(number(&sample.1)?)
        }
        "vector" => {
            let samples: Vec<VectorSample> = decode(data.result)?;
            let values = samples
                .iter()
                .map(|s| match &s.value {
                    Some(sample) => number(&sample.1),
                    None => Err(ProviderError::UnsupportedType(
                        "native histogram samples".to_owned(),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            MeasurementValue::Vector(values)
        }
        "matrix" => {
            let series: Vec<Series> = decode(data.result)?;
            let values = series
                .iter()
                .flat_map(|s| s.values.iter())
                .map(|sample| number(&sample.1))
                .collect::<Result<Vec<_>, _>>()?;
            MeasurementValue::Vector(values)
        }
        other => return Err(ProviderError::UnsupportedType(other.to_owned())),
    };
    Ok(QueryResponse {
        value,
        warnings: envelope.warnings,
    })
}
