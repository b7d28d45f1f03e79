//! Field-level validation errors, rendered the way the real kube-apiserver renders them.
//!
//! A [`FieldError`] is one `StatusCause` of a `422 Invalid` `Status`: `reason` is the cause
//! type (`FieldValueInvalid`, ...), `field` the path (`spec.ports[0].port`) and `message` the
//! cause message *without* the field (`Invalid value: 0: must be between 1 and 65535,
//! inclusive`). `Display` gives `field: message`, which is what the top-level `Status.message`
//! aggregates (see [`invalid_message`]).
//!
//! Values inside messages follow the Go formatting the real server uses: strings are quoted
//! like Go's `%q`, numbers and booleans are printed plainly, and everything else (objects,
//! arrays, null) is printed as Go's `encoding/json` would marshal it.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value, json};

/// The kind of a field error; one to one with the `StatusCause.reason` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldErrorType {
    Invalid,
    Required,
    NotSupported,
    TypeInvalid,
    Forbidden,
    TooLong,
    TooMany,
    Duplicate,
}

impl FieldErrorType {
    /// The `StatusCause.reason` string.
    pub fn as_reason(self) -> &'static str {
        match self {
            FieldErrorType::Invalid => "FieldValueInvalid",
            FieldErrorType::Required => "FieldValueRequired",
            FieldErrorType::NotSupported => "FieldValueNotSupported",
            FieldErrorType::TypeInvalid => "FieldValueTypeInvalid",
            FieldErrorType::Forbidden => "FieldValueForbidden",
            FieldErrorType::TooLong => "FieldValueTooLong",
            FieldErrorType::TooMany => "FieldValueTooMany",
            FieldErrorType::Duplicate => "FieldValueDuplicate",
        }
    }

    /// The words that start the cause message (`Invalid value`, `Required value`, ...).
    pub fn label(self) -> &'static str {
        match self {
            FieldErrorType::Invalid | FieldErrorType::TypeInvalid => "Invalid value",
            FieldErrorType::Required => "Required value",
            FieldErrorType::NotSupported => "Unsupported value",
            FieldErrorType::Forbidden => "Forbidden",
            FieldErrorType::TooLong => "Too long",
            FieldErrorType::TooMany => "Too many",
            FieldErrorType::Duplicate => "Duplicate value",
        }
    }
}

/// A rendered bad value, as it appears after `Invalid value: ` in a cause message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue(String);

impl BadValue {
    /// A string value: quoted like Go's `%q`.
    pub fn string(s: &str) -> Self {
        BadValue(go_quote(s))
    }

    /// An integer value.
    pub fn int(i: i64) -> Self {
        BadValue(i.to_string())
    }

    /// A floating point value, printed like Go's `%v`.
    pub fn float(f: f64) -> Self {
        BadValue(go_float_v(f))
    }

    /// A value of an unstructured object: scalars print like their Go counterparts, objects
    /// and arrays as JSON with sorted keys (Go marshals `map[string]interface{}` sorted).
    pub fn json(v: &Value) -> Self {
        BadValue(match v {
            Value::String(s) => go_quote(s),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => match n.as_i64() {
                Some(i) => i.to_string(),
                None => go_float_v(n.as_f64().unwrap_or(0.0)),
            },
            _ => go_json(v),
        })
    }

    /// A value of a typed (struct) field: objects are marshalled with their keys in the
    /// order given, which should be the Go struct's field order.
    pub fn json_ordered(v: &Value) -> Self {
        BadValue(match v {
            Value::Object(_) | Value::Array(_) | Value::Null => go_json_ordered(v),
            other => BadValue::json(other).0,
        })
    }

    /// An already rendered value.
    pub fn raw(s: impl Into<String>) -> Self {
        BadValue(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        BadValue::string(s)
    }
}

impl From<&String> for BadValue {
    fn from(s: &String) -> Self {
        BadValue::string(s)
    }
}

impl From<i64> for BadValue {
    fn from(i: i64) -> Self {
        BadValue::int(i)
    }
}

impl From<i32> for BadValue {
    fn from(i: i32) -> Self {
        BadValue::int(i64::from(i))
    }
}

impl From<f64> for BadValue {
    fn from(f: f64) -> Self {
        BadValue::float(f)
    }
}

impl From<bool> for BadValue {
    fn from(b: bool) -> Self {
        BadValue(b.to_string())
    }
}

impl From<&Value> for BadValue {
    fn from(v: &Value) -> Self {
        BadValue::json(v)
    }
}

/// One field-level validation error (one `StatusCause`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub reason: FieldErrorType,
    /// The field path, e.g. `spec.replicas`, `metadata.name`, `spec.ports[0].port`,
    /// `data[key]`. Errors that the real server attaches to no field use `<nil>`.
    pub field: String,
    /// The full cause message as the real server prints it (without the field).
    pub message: String,
}

fn with_detail(label: &str, detail: &str) -> String {
    if detail.is_empty() {
        label.to_string()
    } else {
        format!("{label}: {detail}")
    }
}

fn with_value(label: &str, value: &BadValue, detail: &str) -> String {
    with_detail(&format!("{label}: {}", value.as_str()), detail)
}

impl FieldError {
    pub fn new(
        reason: FieldErrorType,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            reason,
            field: field.into(),
            message: message.into(),
        }
    }

    /// `Required value[: detail]`.
    pub fn required(field: impl Into<String>, detail: &str) -> Self {
        let t = FieldErrorType::Required;
        FieldError::new(t, field, with_detail(t.label(), detail))
    }

    /// `Forbidden[: detail]`.
    pub fn forbidden(field: impl Into<String>, detail: &str) -> Self {
        let t = FieldErrorType::Forbidden;
        FieldError::new(t, field, with_detail(t.label(), detail))
    }

    /// `Invalid value: <value>[: detail]`.
    pub fn invalid(field: impl Into<String>, value: impl Into<BadValue>, detail: &str) -> Self {
        let t = FieldErrorType::Invalid;
        FieldError::new(t, field, with_value(t.label(), &value.into(), detail))
    }

    /// `Invalid value: <value>[: detail]` with reason `FieldValueTypeInvalid`.
    pub fn type_invalid(
        field: impl Into<String>,
        value: impl Into<BadValue>,
        detail: &str,
    ) -> Self {
        let t = FieldErrorType::TypeInvalid;
        FieldError::new(t, field, with_value(t.label(), &value.into(), detail))
    }

    /// `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported<S: AsRef<str>>(
        field: impl Into<String>,
        value: impl Into<BadValue>,
        valid: &[S],
    ) -> Self {
        let t = FieldErrorType::NotSupported;
        let detail = if valid.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = valid.iter().map(|v| go_quote(v.as_ref())).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        FieldError::new(t, field, with_value(t.label(), &value.into(), &detail))
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(field: impl Into<String>, value: impl Into<BadValue>) -> Self {
        let t = FieldErrorType::Duplicate;
        FieldError::new(t, field, with_value(t.label(), &value.into(), ""))
    }

    /// `Too long: may not be more than <max> bytes` (the value is never printed). A negative
    /// `max` gives `Too long: value is too long`.
    pub fn too_long(field: impl Into<String>, max: i64) -> Self {
        let t = FieldErrorType::TooLong;
        let detail = match max {
            m if m < 0 => "value is too long".to_string(),
            1 => "may not be more than 1 byte".to_string(),
            m => format!("may not be more than {m} bytes"),
        };
        FieldError::new(t, field, with_detail(t.label(), &detail))
    }

    /// `Too many: <actual>: must have at most <max> items`.
    pub fn too_many(field: impl Into<String>, actual: Option<i64>, max: i64) -> Self {
        let t = FieldErrorType::TooMany;
        let detail = match max {
            m if m < 0 => "has too many items".to_string(),
            1 => "must have at most 1 item".to_string(),
            m => format!("must have at most {m} items"),
        };
        let message = match actual {
            Some(a) if a >= 0 => with_value(t.label(), &BadValue::int(a), &detail),
            _ => with_detail(t.label(), &detail),
        };
        FieldError::new(t, field, message)
    }

    /// The `StatusCause` object: `{"reason", "message", "field"}`.
    pub fn to_cause(&self) -> Value {
        json!({
            "reason": self.reason.as_reason(),
            "message": self.message,
            "field": self.field,
        })
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// `Kind.group` as the real server names a kind in messages (`Deployment.apps`,
/// `Rollout.argoproj.io`), or just `Kind` for the core group.
pub fn qualified_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// The aggregate of several errors as the real server prints it: identical messages are
/// printed once; one message is printed bare, several as `[a, b]`.
pub fn aggregate_message(errors: &[FieldError]) -> String {
    let mut seen = HashSet::new();
    let mut msgs = Vec::new();
    for e in errors {
        let m = e.to_string();
        if seen.insert(m.clone()) {
            msgs.push(m);
        }
    }
    match msgs.len() {
        0 => String::new(),
        1 => msgs.remove(0),
        _ => format!("[{}]", msgs.join(", ")),
    }
}

/// The top-level message of a 422 `Status`: `Kind.group "name" is invalid: <errors>`.
///
/// `kind` is the qualified kind (see [`qualified_kind`]), e.g. `Rollout.argoproj.io`.
pub fn invalid_message(kind: &str, name: &str, errors: &[FieldError]) -> String {
    if errors.is_empty() {
        format!("{kind} {} is invalid", go_quote(name))
    } else {
        format!(
            "{kind} {} is invalid: {}",
            go_quote(name),
            aggregate_message(errors)
        )
    }
}

/// The whole `422 Invalid` `Status` body the real server answers for these errors.
pub fn invalid_status(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> Value {
    let mut details = Map::new();
    if !name.is_empty() {
        details.insert("name".into(), Value::String(name.into()));
    }
    if !group.is_empty() {
        details.insert("group".into(), Value::String(group.into()));
    }
    details.insert("kind".into(), Value::String(kind.into()));
    if !errors.is_empty() {
        details.insert(
            "causes".into(),
            Value::Array(errors.iter().map(FieldError::to_cause).collect()),
        );
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": invalid_message(&qualified_kind(group, kind), name, errors),
        "reason": "Invalid",
        "details": Value::Object(details),
        "code": 422,
    })
}

/// Whether Go's `unicode.IsPrint` would accept `c` (approximated without Unicode tables:
/// ASCII space, and no control, whitespace, format or private-use characters).
fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !matches!(u,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xE000..=0xF8FF | 0xFEFF
        | 0xFFF9..=0xFFFB | 0xE0001 | 0xE0020..=0xE007F | 0xF0000..=0x10FFFF)
}

/// A string quoted like Go's `strconv.Quote` / `%q`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if go_is_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// The shortest decimal digits of a finite, non-zero float and its decimal point position:
/// `value = 0.d1d2d3... * 10^point`.
fn shortest_digits(f: f64) -> (String, i32) {
    let e = format!("{:e}", f.abs());
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0').to_string();
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    (digits, exp + 1)
}

fn format_fixed(neg: bool, digits: &str, point: i32) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if point <= 0 {
        s.push_str("0.");
        for _ in 0..(-point) {
            s.push('0');
        }
        s.push_str(digits);
    } else if point as usize >= digits.len() {
        s.push_str(digits);
        for _ in 0..(point as usize - digits.len()) {
            s.push('0');
        }
    } else {
        s.push_str(&digits[..point as usize]);
        s.push('.');
        s.push_str(&digits[point as usize..]);
    }
    s
}

fn format_exp(neg: bool, digits: &str, point: i32, min_exp_digits: usize) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push_str(&digits[..1]);
    if digits.len() > 1 {
        s.push('.');
        s.push_str(&digits[1..]);
    }
    let exp = point - 1;
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs().to_string();
    for _ in e.len()..min_exp_digits {
        s.push('0');
    }
    s.push_str(&e);
    s
}

/// A float formatted like Go's `fmt` `%v` (`strconv.FormatFloat(f, 'g', -1, 64)`).
pub fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, point) = shortest_digits(f);
    let exp = point - 1;
    // For the shortest representation Go switches to an exponent when exp < -4 or exp >= 6
    // (precision is taken as 6 for that decision): 1e+06, 1.234567e+06, 1e-05.
    if !(-4..6).contains(&exp) {
        return format_exp(f < 0.0, &digits, point, 2);
    }
    format_fixed(f < 0.0, &digits, point)
}

/// A float formatted like Go's `encoding/json`.
fn go_json_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, point) = shortest_digits(f);
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        // 'e' format with at least one exponent digit (Go cleans e-07 up to e-7)
        format_exp(f < 0.0, &digits, point, 1)
    } else {
        format_fixed(f < 0.0, &digits, point)
    }
}

fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn go_json_into(v: &Value, sort: bool, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => out.push_str(&i.to_string()),
            None => match n.as_u64() {
                Some(u) => out.push_str(&u.to_string()),
                None => out.push_str(&go_json_float(n.as_f64().unwrap_or(0.0))),
            },
        },
        Value::String(s) => go_json_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_into(item, sort, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            if sort {
                keys.sort();
            }
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(k, out);
                out.push(':');
                go_json_into(&m[k.as_str()], sort, out);
            }
            out.push('}');
        }
    }
}

/// A value marshalled like Go's `encoding/json` marshals an unstructured value: compact,
/// object keys sorted, `<`, `>` and `&` escaped.
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    go_json_into(v, true, &mut out);
    out
}

/// Like [`go_json`] but keeping object keys in their order (for typed Go structs).
pub fn go_json_ordered(v: &Value) -> String {
    let mut out = String::new();
    go_json_into(v, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_labels() {
        let rows = [
            (
                FieldErrorType::Invalid,
                "FieldValueInvalid",
                "Invalid value",
            ),
            (
                FieldErrorType::Required,
                "FieldValueRequired",
                "Required value",
            ),
            (
                FieldErrorType::NotSupported,
                "FieldValueNotSupported",
                "Unsupported value",
            ),
            (
                FieldErrorType::TypeInvalid,
                "FieldValueTypeInvalid",
                "Invalid value",
            ),
            (
                FieldErrorType::Forbidden,
                "FieldValueForbidden",
                "Forbidden",
            ),
            (FieldErrorType::TooLong, "FieldValueTooLong", "Too long"),
            (FieldErrorType::TooMany, "FieldValueTooMany", "Too many"),
            (
                FieldErrorType::Duplicate,
                "FieldValueDuplicate",
                "Duplicate value",
            ),
        ];
        for (t, reason, label) in rows {
            assert_eq!(t.as_reason(), reason);
            assert_eq!(t.label(), label);
        }
    }

    #[test]
    fn constructor_messages() {
        let rows: Vec<(FieldError, &str)> = vec![
            (
                FieldError::required("spec.selector", ""),
                "spec.selector: Required value",
            ),
            (
                FieldError::required("metadata.name", "name or generateName is required"),
                "metadata.name: Required value: name or generateName is required",
            ),
            (
                FieldError::forbidden("metadata.namespace", "not allowed on this type"),
                "metadata.namespace: Forbidden: not allowed on this type",
            ),
            (
                FieldError::invalid("spec.replicas", -1, "must be greater than or equal to 0"),
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            ),
            (
                FieldError::invalid("metadata.name", "Foo", "bad"),
                "metadata.name: Invalid value: \"Foo\": bad",
            ),
            (
                FieldError::not_supported("spec.type", "Foo", &["ClusterIP", "NodePort"]),
                "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"NodePort\"",
            ),
            (
                FieldError::not_supported::<&str>("x", "Foo", &[]),
                "x: Unsupported value: \"Foo\"",
            ),
            (
                FieldError::duplicate("spec.ports[1].name", "http"),
                "spec.ports[1].name: Duplicate value: \"http\"",
            ),
            (
                FieldError::too_long("metadata.annotations", 262144),
                "metadata.annotations: Too long: may not be more than 262144 bytes",
            ),
            (
                FieldError::too_long("x", 1),
                "x: Too long: may not be more than 1 byte",
            ),
            (
                FieldError::too_long("x", -1),
                "x: Too long: value is too long",
            ),
            (
                FieldError::too_many("spec.steps", Some(3), 2),
                "spec.steps: Too many: 3: must have at most 2 items",
            ),
            (
                FieldError::too_many("spec.steps", None, 1),
                "spec.steps: Too many: must have at most 1 item",
            ),
            (
                FieldError::type_invalid(
                    "spec.x",
                    "string",
                    "spec.x in body must be of type integer: \"string\"",
                ),
                "spec.x: Invalid value: \"string\": spec.x in body must be of type integer: \"string\"",
            ),
            (
                FieldError::invalid("x", &json!({"b": 1, "a": "<"}), "d"),
                "x: Invalid value: {\"a\":\"\\u003c\",\"b\":1}: d",
            ),
            (
                FieldError::invalid("x", &json!(null), "d"),
                "x: Invalid value: null: d",
            ),
            (
                FieldError::invalid("x", &json!(1.5), "d"),
                "x: Invalid value: 1.5: d",
            ),
            (
                FieldError::invalid("x", true, "d"),
                "x: Invalid value: true: d",
            ),
        ];
        for (err, want) in rows {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn go_quote_rows() {
        let rows = [
            ("abc", "\"abc\""),
            ("a\"b", "\"a\\\"b\""),
            ("a\\b", "\"a\\\\b\""),
            ("a\nb\tc", "\"a\\nb\\tc\""),
            ("\u{0}", "\"\\x00\""),
            ("\u{7f}", "\"\\x7f\""),
            ("héllo", "\"héllo\""),
            ("\u{a0}", "\"\\u00a0\""),
            ("\u{2028}", "\"\\u2028\""),
            ("日本", "\"日本\""),
        ];
        for (input, want) in rows {
            assert_eq!(go_quote(input), want, "{input:?}");
        }
    }

    #[test]
    fn go_float_rows() {
        let rows = [
            (100.0, "100"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (0.1, "0.1"),
        ];
        for (f, want) in rows {
            assert_eq!(go_float_v(f), want, "{f}");
        }
        let json_rows = [
            (1.5, "1.5"),
            (1e6, "1000000"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
        ];
        for (f, want) in json_rows {
            assert_eq!(go_json(&json!(f)), want, "{f}");
        }
    }

    #[test]
    fn go_json_rows() {
        let rows = [
            (
                json!({"z": 1, "a": [true, null]}),
                "{\"a\":[true,null],\"z\":1}",
            ),
            (json!("a&b"), "\"a\\u0026b\""),
            (json!({"k": "x\u{1}"}), "{\"k\":\"x\\u0001\"}"),
            (json!([]), "[]"),
            (json!({}), "{}"),
        ];
        for (v, want) in rows {
            assert_eq!(go_json(&v), want);
        }
        assert_eq!(
            go_json_ordered(&json!({"z": 1, "a": 2})),
            "{\"z\":1,\"a\":2}"
        );
    }

    #[test]
    fn invalid_message_single_and_many() {
        let one = vec![FieldError::type_invalid(
            "spec.replicas",
            "string",
            "spec.replicas in body must be of type integer: \"string\"",
        )];
        assert_eq!(
            invalid_message("Rollout.argoproj.io", "x", &one),
            "Rollout.argoproj.io \"x\" is invalid: spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""
        );
        let many = vec![
            FieldError::required("spec.selector", ""),
            FieldError::required("spec.selector", ""),
            FieldError::required("spec.template", ""),
        ];
        assert_eq!(
            invalid_message("Deployment.apps", "web", &many),
            "Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.template: Required value]"
        );
        assert_eq!(
            invalid_message("Service", "s", &[]),
            "Service \"s\" is invalid"
        );
        assert_eq!(qualified_kind("", "Service"), "Service");
        assert_eq!(qualified_kind("apps", "Deployment"), "Deployment.apps");
    }

    #[test]
    fn status_body() {
        let errs = vec![FieldError::required("spec.selector", "")];
        let st = invalid_status("apps", "Deployment", "web", &errs);
        assert_eq!(st["code"], 422);
        assert_eq!(st["reason"], "Invalid");
        assert_eq!(
            st["message"],
            "Deployment.apps \"web\" is invalid: spec.selector: Required value"
        );
        assert_eq!(
            st["details"],
            json!({"name": "web", "group": "apps", "kind": "Deployment", "causes": [
                {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.selector"}
            ]})
        );
        let core = invalid_status("", "Service", "s", &errs);
        assert!(core["details"].get("group").is_none());
    }
}
