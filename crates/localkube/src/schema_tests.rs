use serde_json::{Value, json};

use super::*;
use crate::field_error::{FieldErrorType, invalid_message};

/// `{spec: {x: <value>}}` validated against `{spec: {x: <schema>}}`, errors as strings.
fn check_x(schema: Value, value: Value) -> Vec<String> {
    let root = json!({
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"x": schema}}}
    });
    let obj = json!({"spec": {"x": value}});
    validate(&obj, &root)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn validate_types() {
    let rows: Vec<(Value, Value, Vec<&str>)> = vec![
        (json!({"type": "integer"}), json!(3), vec![]),
        (json!({"type": "integer"}), json!(2.0), vec![]),
        (
            json!({"type": "integer"}),
            json!("two"),
            vec![
                r#"spec.x: Invalid value: "string": spec.x in body must be of type integer: "string""#,
            ],
        ),
        (
            json!({"type": "integer"}),
            json!(1.5),
            vec![
                r#"spec.x: Invalid value: "number": spec.x in body must be of type integer: "number""#,
            ],
        ),
        (json!({"type": "number"}), json!(3), vec![]),
        (
            json!({"type": "integer"}),
            json!(1e300),
            vec![
                r#"spec.x: Invalid value: "number": spec.x in body must be of type integer: "number""#,
            ],
        ),
        (json!({"type": "number"}), json!(3.25), vec![]),
        (
            json!({"type": "string"}),
            json!(5),
            vec![
                r#"spec.x: Invalid value: "integer": spec.x in body must be of type string: "integer""#,
            ],
        ),
        (
            json!({"type": "boolean"}),
            json!("true"),
            vec![
                r#"spec.x: Invalid value: "string": spec.x in body must be of type boolean: "string""#,
            ],
        ),
        (
            json!({"type": "object"}),
            json!([]),
            vec![
                r#"spec.x: Invalid value: "array": spec.x in body must be of type object: "array""#,
            ],
        ),
        (
            json!({"type": "array", "items": {"type": "string"}}),
            json!({}),
            vec![
                r#"spec.x: Invalid value: "object": spec.x in body must be of type array: "object""#,
            ],
        ),
        (
            json!({"type": "string"}),
            json!(null),
            vec![r#"spec.x: Invalid value: "null": spec.x in body must be of type string: "null""#],
        ),
        (
            json!({"type": "string", "nullable": true}),
            json!(null),
            vec![],
        ),
        (
            json!({"x-kubernetes-int-or-string": true}),
            json!("25%"),
            vec![],
        ),
        (
            json!({"x-kubernetes-int-or-string": true}),
            json!(3),
            vec![],
        ),
        (
            json!({"x-kubernetes-int-or-string": true}),
            json!(true),
            vec![
                r#"spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean""#,
            ],
        ),
        (
            json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}),
            json!(true),
            vec![
                r#"spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean""#,
                r#"<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)"#,
                r#"spec.x: Invalid value: "boolean": spec.x in body must be of type integer: "boolean""#,
            ],
        ),
        (
            json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}),
            json!("10%"),
            vec![],
        ),
        // unknown (stripped) formats have no effect at all
        (
            json!({"type": "integer", "format": "int32"}),
            json!(1_099_511_627_776_i64),
            vec![],
        ),
        (
            json!({"type": "integer", "format": "int64"}),
            json!(7),
            vec![],
        ),
        (
            json!({"type": "integer", "format": "int32"}),
            json!("7"),
            vec![
                r#"spec.x: Invalid value: "string": spec.x in body must be of type integer: "string""#,
            ],
        ),
    ];
    for (schema, value, want) in rows {
        assert_eq!(
            check_x(schema.clone(), value.clone()),
            s(&want),
            "{schema} / {value}"
        );
    }
}

#[test]
fn validate_keywords() {
    let rows: Vec<(Value, Value, Vec<&str>)> = vec![
        (
            json!({"type": "string", "enum": ["A", "B"]}),
            json!("A"),
            vec![],
        ),
        (
            json!({"type": "string", "enum": ["A", "B"]}),
            json!("C"),
            vec![r#"spec.x: Unsupported value: "C": supported values: "A", "B""#],
        ),
        (
            json!({"type": "integer", "enum": [1, 2]}),
            json!(3),
            vec![r#"spec.x: Unsupported value: 3: supported values: "1", "2""#],
        ),
        (json!({"type": "integer", "enum": [1, 2]}), json!(2), vec![]),
        (json!({"type": "integer", "minimum": 1}), json!(1), vec![]),
        (
            json!({"type": "integer", "minimum": 1}),
            json!(0),
            vec!["spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1"],
        ),
        (
            json!({"type": "integer", "maximum": 100}),
            json!(100),
            vec![],
        ),
        (
            json!({"type": "integer", "maximum": 100}),
            json!(101),
            vec!["spec.x: Invalid value: 101: spec.x in body should be less than or equal to 100"],
        ),
        (
            json!({"type": "integer", "maximum": 100, "exclusiveMaximum": true}),
            json!(100),
            vec!["spec.x: Invalid value: 100: spec.x in body should be less than 100"],
        ),
        (
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true}),
            json!(0),
            vec!["spec.x: Invalid value: 0: spec.x in body should be greater than 0"],
        ),
        (
            json!({"type": "number", "maximum": 1.5}),
            json!(2.5),
            vec!["spec.x: Invalid value: 2.5: spec.x in body should be less than or equal to 1.5"],
        ),
        (
            json!({"type": "integer", "minimum": 0, "maximum": 10}),
            json!(-1),
            vec!["spec.x: Invalid value: -1: spec.x in body should be greater than or equal to 0"],
        ),
        (
            json!({"type": "integer", "multipleOf": 5}),
            json!(15),
            vec![],
        ),
        (
            json!({"type": "integer", "multipleOf": 5}),
            json!(12),
            vec!["spec.x: Invalid value: 12: spec.x in body should be a multiple of 5"],
        ),
        (
            json!({"type": "number", "multipleOf": 0.5}),
            json!(2.5),
            vec![],
        ),
        (
            json!({"type": "string", "minLength": 3}),
            json!("ab"),
            vec![r#"spec.x: Invalid value: "ab": spec.x in body should be at least 3 chars long"#],
        ),
        (
            json!({"type": "string", "minLength": 3}),
            json!("abc"),
            vec![],
        ),
        (
            json!({"type": "string", "maxLength": 3}),
            json!("abcd"),
            vec!["spec.x: Too long: may not be more than 3 bytes"],
        ),
        // lengths count characters, not bytes
        (
            json!({"type": "string", "maxLength": 3}),
            json!("ééé"),
            vec![],
        ),
        (
            json!({"type": "string", "pattern": "^[a-z]+$"}),
            json!("ABC"),
            vec![r#"spec.x: Invalid value: "ABC": spec.x in body should match '^[a-z]+$'"#],
        ),
        (
            json!({"type": "string", "pattern": "[0-9]"}),
            json!("a1b"),
            vec![],
        ),
        // Perl classes are ASCII-only, as in Go
        (
            json!({"type": "string", "pattern": r"^\d+$"}),
            json!("١٢"),
            vec![r#"spec.x: Invalid value: "١٢": spec.x in body should match '^\d+$'"#],
        ),
        (
            json!({"type": "string", "pattern": r"^[\w.-]+\b$"}),
            json!("a_b.c-1"),
            vec![],
        ),
        (
            json!({"type": "string", "pattern": r"^\w+$"}),
            json!("é"),
            vec![r#"spec.x: Invalid value: "é": spec.x in body should match '^\w+$'"#],
        ),
        (
            json!({"type": "array", "items": {"type": "integer"}, "minItems": 1}),
            json!([]),
            vec!["spec.x: Invalid value: 0: spec.x in body should have at least 1 items"],
        ),
        (
            json!({"type": "array", "items": {"type": "integer"}, "maxItems": 1}),
            json!([1, 2]),
            vec!["spec.x: Too many: 2: must have at most 1 item"],
        ),
        (
            json!({"type": "array", "items": {"type": "integer"}, "maxItems": 2}),
            json!([1, 2, 3]),
            vec!["spec.x: Too many: 3: must have at most 2 items"],
        ),
        (
            json!({"type": "object", "minProperties": 2}),
            json!({"a": 1}),
            vec!["spec.x: Invalid value: 1: spec.x in body should have at least 2 properties"],
        ),
        (
            json!({"type": "object", "maxProperties": 1}),
            json!({"a": 1, "b": 2}),
            vec!["spec.x: Too many: 2: must have at most 1 item"],
        ),
        (
            json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}),
            json!({}),
            vec!["spec.x.a: Required value"],
        ),
        (
            json!({"type": "array", "items": {"type": "integer"}}),
            json!([1, "b"]),
            vec![
                r#"spec.x[1]: Invalid value: "string": spec.x[1] in body must be of type integer: "string""#,
            ],
        ),
        (
            json!({"type": "array", "items": {"type": "object", "properties": {"w": {"type": "integer", "maximum": 100}}}}),
            json!([{"w": 10}, {"w": 150}]),
            vec![
                "spec.x[1].w: Invalid value: 150: spec.x[1].w in body should be less than or equal to 100",
            ],
        ),
        (
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
            json!({"a": "ok", "b": 1}),
            vec![
                r#"spec.x.b: Invalid value: "integer": spec.x.b in body must be of type string: "integer""#,
            ],
        ),
        (
            json!({"type": "object", "additionalProperties": false}),
            json!({"a": 1}),
            vec![r#"spec.x: Invalid value: "a": spec.x.a in body is a forbidden property"#],
        ),
        (
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            json!({"anything": [1, {"b": null}]}),
            vec![],
        ),
    ];
    for (schema, value, want) in rows {
        assert_eq!(
            check_x(schema.clone(), value.clone()),
            s(&want),
            "{schema} / {value}"
        );
    }
}

#[test]
fn go_regex_translation() {
    let rows = [
        (r"^\d+$", "^[0-9]+$"),
        (r"[\d.]", "[0-9.]"),
        (r"[]\d]", "[]0-9]"),
        (r"[^]\w]", "[^]0-9A-Za-z_]"),
        (r"\\d", r"\\d"),
        (r"\p{L}\s", r"\p{L}[\t\n\x0C\r ]"),
        (r"\bx\B", r"(?-u:\b)x(?-u:\B)"),
    ];
    for (go, rust) in rows {
        assert_eq!(go_regex_to_rust(go), rust, "{go}");
        assert!(Regex::new(rust).is_ok(), "{rust}");
    }
}

#[test]
fn validate_formats() {
    let rows: Vec<(&str, &str, bool)> = vec![
        ("date-time", "2024-01-02T03:04:05Z", true),
        ("date-time", "2024-01-02T03:04:05.123+02:00", true),
        ("date-time", "2024-01-02t03:04:05z", true),
        ("date-time", "yesterday", false),
        ("date-time", "2024-01-02 03:04:05Z", false),
        ("date-time", "2024-01-02T25:04:05Z", false),
        ("date", "2024-02-29", true),
        ("date", "2023-02-29", false),
        ("byte", "aGVsbG8=", true),
        ("byte", "not base64!", false),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", true),
        ("uuid", "123e4567", false),
        ("ipv4", "10.0.0.1", true),
        ("ipv4", "10.0.0", false),
        ("ipv6", "fd00::1", true),
        ("ipv6", "10.0.0.1", false),
        ("cidr", "10.0.0.0/8", true),
        ("cidr", "10.0.0.0/33", false),
        ("hostname", "example.com", true),
        ("hostname", "-bad-.com", false),
        ("duration", "1h30m", true),
        ("duration", "20s", true),
        ("duration", "soon", false),
        ("email", "a@example.com", true),
        ("email", "nope", false),
        ("password", "anything", true),
    ];
    for (format, value, ok) in rows {
        let got = check_x(json!({"type": "string", "format": format}), json!(value));
        let want = if ok {
            vec![]
        } else {
            vec![format!(
                "spec.x: Invalid value: {q}: spec.x in body must be of type {format}: {q}",
                q = go_quote(value)
            )]
        };
        assert_eq!(got, want, "{format} / {value}");
    }
    // a string format on a non-string value reports the value's Go format
    assert_eq!(
        check_x(json!({"type": "string", "format": "date-time"}), json!(5)),
        s(&[
            r#"spec.x: Invalid value: "int64": spec.x in body must be of type date-time: "int64""#
        ])
    );
}

#[test]
fn validate_combinators() {
    let one_of = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
    });
    let any_of = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "anyOf": [{"required": ["a"]}, {"required": ["b"]}]
    });
    let all_of = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "allOf": [{"required": ["a"]}, {"required": ["b"]}]
    });
    let not = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "not": {"required": ["a"]}
    });
    let rows: Vec<(&Value, Value, Vec<&str>)> = vec![
        (&one_of, json!({"a": "x"}), vec![]),
        (&one_of, json!({"b": "x"}), vec![]),
        (
            &one_of,
            json!({}),
            vec![
                r#"<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found none valid"#,
                "spec.x.a: Required value",
            ],
        ),
        (
            &one_of,
            json!({"a": "x", "b": "y"}),
            vec![
                r#"<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives"#,
            ],
        ),
        (&any_of, json!({"a": "x", "b": "y"}), vec![]),
        (
            &any_of,
            json!({}),
            vec![
                r#"<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)"#,
                "spec.x.a: Required value",
            ],
        ),
        (&all_of, json!({"a": "x", "b": "y"}), vec![]),
        (
            &all_of,
            json!({"a": "x"}),
            vec![
                "spec.x.b: Required value",
                r#"<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf)"#,
            ],
        ),
        (
            &all_of,
            json!({}),
            vec![
                "spec.x.a: Required value",
                "spec.x.b: Required value",
                r#"<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf). None validated"#,
            ],
        ),
        (&not, json!({}), vec![]),
        (
            &not,
            json!({"a": "x"}),
            vec![r#"<nil>: Invalid value: "": "spec.x" must not validate the schema (not)"#],
        ),
    ];
    for (schema, value, want) in rows {
        assert_eq!(
            check_x(schema.clone(), value.clone()),
            s(&want),
            "{schema} / {value}"
        );
    }
}

#[test]
fn validate_list_types_and_embedded() {
    let set =
        json!({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"});
    let map1 = json!({
        "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
        "items": {"type": "object", "properties": {"name": {"type": "string"}, "v": {"type": "integer"}}}
    });
    let map2 = json!({
        "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "port"],
        "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}
    });
    let embedded = json!({
        "type": "object", "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true
    });
    let rows: Vec<(&Value, Value, Vec<&str>)> = vec![
        (&set, json!(["a", "b"]), vec![]),
        (
            &set,
            json!(["a", "b", "a", "a", "b"]),
            vec![
                r#"spec.x[2]: Duplicate value: "a""#,
                r#"spec.x[4]: Duplicate value: "b""#,
            ],
        ),
        (
            &map1,
            json!([{"name": "a", "v": 1}, {"name": "b", "v": 1}]),
            vec![],
        ),
        (
            &map1,
            json!([{"name": "a", "v": 1}, {"name": "a", "v": 2}]),
            vec![r#"spec.x[1]: Duplicate value: {"name":"a"}"#],
        ),
        (
            &map2,
            json!([{"name": "a", "port": 1}, {"name": "a", "port": 2}]),
            vec![],
        ),
        (
            &map2,
            json!([{"name": "a", "port": 1}, {"port": 1, "name": "a"}]),
            vec![r#"spec.x[1]: Duplicate value: {"name":"a","port":1}"#],
        ),
        (
            &embedded,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {}}),
            vec![],
        ),
        (
            &embedded,
            json!({"data": {}}),
            vec![
                "spec.x.apiVersion: Required value: must not be empty",
                "spec.x.kind: Required value: must not be empty",
            ],
        ),
        (
            &embedded,
            json!({"apiVersion": "a/b/c", "kind": "Config_Map"}),
            vec![
                r#"spec.x.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c"#,
                r#"spec.x.kind: Invalid value: "Config_Map": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#,
            ],
        ),
    ];
    for (schema, value, want) in rows {
        assert_eq!(
            check_x(schema.clone(), value.clone()),
            s(&want),
            "{schema} / {value}"
        );
    }
}

#[test]
fn error_reasons_of_schema_errors() {
    let schema = json!({"type": "object", "properties": {
        "a": {"type": "integer"}, "b": {"type": "string", "enum": ["x"]},
        "c": {"type": "string", "maxLength": 1}, "d": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
        "e": {"type": "string", "pattern": "^z$"}, "f": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}
    }, "required": ["g"]});
    let obj = json!({"a": "1", "b": "y", "c": "long", "d": ["x"], "e": "a", "f": ["q", "q"]});
    let reasons: Vec<(String, FieldErrorType)> = validate(&obj, &schema)
        .into_iter()
        .map(|e| (e.field, e.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("a".to_string(), FieldErrorType::TypeInvalid),
            ("b".to_string(), FieldErrorType::NotSupported),
            ("c".to_string(), FieldErrorType::TooLong),
            ("d".to_string(), FieldErrorType::TooMany),
            ("e".to_string(), FieldErrorType::Invalid),
            ("g".to_string(), FieldErrorType::Required),
            ("f[1]".to_string(), FieldErrorType::Duplicate),
        ]
    );
}

#[test]
fn prune_rows() {
    let rows: Vec<(Value, Value, Value, Vec<&str>)> = vec![
        // unknown fields dropped at every level; the root keeps apiVersion/kind/metadata
        (
            json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}}),
            json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n", "bogus": 1}, "spec": {"a": "1", "b": 2}, "extra": true}),
            json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n"}, "spec": {"a": "1"}}),
            vec!["extra", "metadata.bogus", "spec.b"],
        ),
        // preserve-unknown-fields keeps unknowns, but specified fields are still pruned inside
        (
            json!({"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}}}}),
            json!({"spec": {"free": {"deep": [1, 2]}, "known": {"a": "1", "b": 2}}}),
            json!({"spec": {"free": {"deep": [1, 2]}, "known": {"a": "1"}}}),
            vec!["spec.known.b"],
        ),
        // additionalProperties schema: every value pruned against it
        (
            json!({"type": "object", "properties": {"m": {"type": "object", "additionalProperties":
                {"type": "object", "properties": {"v": {"type": "integer"}}}}}}),
            json!({"m": {"k1": {"v": 1, "w": 2}, "k2": {}}}),
            json!({"m": {"k1": {"v": 1}, "k2": {}}}),
            vec!["m.k1.w"],
        ),
        // additionalProperties: true keeps the keys but specifies nothing below them
        (
            json!({"type": "object", "properties": {"m": {"type": "object", "additionalProperties": true}}}),
            json!({"m": {"s": "x", "o": {"deep": 1}}}),
            json!({"m": {"s": "x", "o": {}}}),
            vec!["m.o.deep"],
        ),
        // list items
        (
            json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}}}}),
            json!({"l": [{"a": 1, "z": 0}, {"z": 1}]}),
            json!({"l": [{"a": 1}, {}]}),
            vec!["l[0].z", "l[1].z"],
        ),
        // embedded resources keep apiVersion/kind/metadata (metadata reduced to ObjectMeta)
        (
            json!({"type": "object", "properties": {"t": {"type": "object", "x-kubernetes-embedded-resource": true,
                "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}}}}),
            json!({"t": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "x": 1}, "spec": {"a": "1", "b": 2}, "other": 3}}),
            json!({"t": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"a": "1"}}}),
            vec!["t.metadata.x", "t.other", "t.spec.b"],
        ),
        // int-or-string values are scalars and kept as they are
        (
            json!({"type": "object", "properties": {"p": {"x-kubernetes-int-or-string": true}}}),
            json!({"p": "25%"}),
            json!({"p": "25%"}),
            vec![],
        ),
        // preserve-unknown under items
        (
            json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}),
            json!({"l": [{"any": {"thing": 1}}]}),
            json!({"l": [{"any": {"thing": 1}}]}),
            vec![],
        ),
        // ownerReferences entries are reduced to their fields
        (
            json!({"type": "object"}),
            json!({"metadata": {"name": "n", "ownerReferences": [{"apiVersion": "v1", "kind": "K", "name": "o", "uid": "u", "junk": 1}]}}),
            json!({"metadata": {"name": "n", "ownerReferences": [{"apiVersion": "v1", "kind": "K", "name": "o", "uid": "u"}]}}),
            vec!["metadata.ownerReferences[0].junk"],
        ),
    ];
    for (schema, input, want, unknown) in rows {
        let mut obj = input.clone();
        let paths = prune_with_unknown_paths(&mut obj, &schema);
        assert_eq!(obj, want, "prune {input}");
        assert_eq!(paths, s(&unknown), "unknown paths of {input}");
        let mut again = input.clone();
        prune(&mut again, &schema);
        assert_eq!(again, want);
    }
    assert_eq!(
        strict_decoding_message(&s(&["spec.b", "spec.c"])),
        r#"strict decoding error: unknown field "spec.b", unknown field "spec.c""#
    );
}

#[test]
fn default_rows() {
    let rows: Vec<(Value, Value, Value)> = vec![
        // missing field defaulted, present one kept
        (
            json!({"type": "object", "properties": {"a": {"type": "integer", "default": 1}, "b": {"type": "string", "default": "d"}}}),
            json!({"b": "set"}),
            json!({"a": 1, "b": "set"}),
        ),
        // defaults inside list items
        (
            json!({"type": "object", "properties": {"steps": {"type": "array", "items": {"type": "object",
                "properties": {"weight": {"type": "integer", "default": 10}}}}}}),
            json!({"steps": [{}, {"weight": 5}]}),
            json!({"steps": [{"weight": 10}, {"weight": 5}]}),
        ),
        // defaults inside additionalProperties values
        (
            json!({"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {"type": "object",
                "properties": {"x": {"type": "string", "default": "d"}}}}}}),
            json!({"m": {"a": {}, "b": {"x": "y"}}}),
            json!({"m": {"a": {"x": "d"}, "b": {"x": "y"}}}),
        ),
        // a non-nullable null with a default is defaulted
        (
            json!({"type": "object", "properties": {"a": {"type": "integer", "default": 3}}}),
            json!({"a": null}),
            json!({"a": 3}),
        ),
        // a non-nullable null without a default is dropped
        (
            json!({"type": "object", "properties": {"a": {"type": "integer"}}}),
            json!({"a": null}),
            json!({}),
        ),
        // a nullable null stays
        (
            json!({"type": "object", "properties": {"a": {"type": "integer", "nullable": true, "default": 3}}}),
            json!({"a": null}),
            json!({"a": null}),
        ),
        // no defaulting below a missing parent ...
        (
            json!({"type": "object", "properties": {"p": {"type": "object", "properties": {"x": {"type": "integer", "default": 1}}}}}),
            json!({}),
            json!({}),
        ),
        // ... unless the parent itself has a default, then its children are defaulted too
        (
            json!({"type": "object", "properties": {"p": {"type": "object", "default": {},
                "properties": {"x": {"type": "integer", "default": 1}}}}}),
            json!({}),
            json!({"p": {"x": 1}}),
        ),
        // a null list item is replaced by the items default
        (
            json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string", "default": "z"}}}}),
            json!({"l": ["a", null]}),
            json!({"l": ["a", "z"]}),
        ),
        // unknown fields under preserve-unknown-fields get no defaults
        (
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                "properties": {"known": {"type": "object", "properties": {"x": {"type": "integer", "default": 1}}}}}),
            json!({"unknown": {}, "known": {}}),
            json!({"unknown": {}, "known": {"x": 1}}),
        ),
    ];
    for (schema, input, want) in rows {
        let mut obj = input.clone();
        apply_defaults(&mut obj, &schema);
        assert_eq!(obj, want, "defaults of {input} with {schema}");
    }
}

#[test]
fn crd_schema_rows() {
    let rows: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"type": "object", "properties": {"spec": {"type": "object"}}}),
            vec![],
        ),
        (
            json!({"type": "object", "properties": {"spec": {"properties": {"a": {"type": "string"}}}}}),
            vec![
                "properties[spec].type: Required value: must not be empty for specified object fields",
            ],
        ),
        (
            json!({"type": "string"}),
            vec![r#"type: Invalid value: "string": must be object at the root"#],
        ),
        (
            json!({}),
            vec!["type: Required value: must not be empty at the root"],
        ),
        (
            json!({"type": "object", "properties": {"xs": {"type": "array"}}}),
            vec!["properties[xs].items: Required value: must be specified"],
        ),
        (
            json!({"type": "object", "properties": {"xs": {"type": "array", "items": {}}}}),
            vec![
                "properties[xs].items.type: Required value: must not be empty for specified array items",
            ],
        ),
        (
            json!({"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": false}}}),
            vec![
                "properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined",
            ],
        ),
        (
            json!({"type": "object", "properties": {"free": {"x-kubernetes-preserve-unknown-fields": true}}}),
            vec![],
        ),
        (
            json!({"type": "object", "properties": {"p": {"x-kubernetes-int-or-string": true,
                "anyOf": [{"type": "integer"}, {"type": "string"}]}}}),
            vec![],
        ),
        (
            json!({"type": "object", "properties": {"p": {"type": "object",
                "anyOf": [{"type": "object"}, {"required": ["a"]}]}}}),
            vec!["properties[p].anyOf[0].type: Forbidden: must be empty to be structural"],
        ),
        (
            json!({"type": "object", "properties": {"m": {"type": "object", "properties": {"a": {"type": "string"}},
                "additionalProperties": {"type": "string"}}}}),
            vec![
                "properties[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
            ],
        ),
        (
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
            vec!["additionalProperties: Forbidden: must not be used at the root"],
        ),
        (
            json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}}}),
            vec![
                "properties[l].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            ],
        ),
        (
            json!({"type": "object", "properties": {"r": {"$ref": "#/definitions/x"}}}),
            vec!["properties[r].$ref: Forbidden: $ref is not supported"],
        ),
        (
            json!({"type": "object", "properties": {"metadata": {"type": "object", "properties": {"name": {"type": "string"}}}}}),
            vec![],
        ),
        (
            json!({"type": "object", "properties": {"metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}}}),
            vec![
                "properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
            ],
        ),
        (
            json!({"type": "object", "properties": {"l": {"type": "array", "x-kubernetes-list-type": "map",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}}),
            vec![
                "properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
            ],
        ),
        (
            json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "bag"}}}),
            vec![
                r#"properties[l].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map""#,
            ],
        ),
        (
            json!({"type": "object", "properties": {"e": {"type": "object", "x-kubernetes-embedded-resource": true}}}),
            vec![
                "properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
            ],
        ),
        (
            json!({"type": "object", "properties": {"kind": {"type": "integer"}}}),
            vec![r#"properties[kind].type: Invalid value: "integer": must be string"#],
        ),
        (
            json!({"type": "object", "properties": {"metadata": {"type": "object", "default": {}}}}),
            vec![
                "properties[metadata].default: Forbidden: must not be set in top-level metadata",
                "properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
            ],
        ),
    ];
    for (schema, want) in rows {
        let got: Vec<String> = validate_crd_schema(&schema)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, s(&want), "{schema}");
    }
    let got = validate_crd_schema_at(
        &json!({"type": "object", "properties": {"spec": {"properties": {}}}}),
        "spec.versions[0].schema.openAPIV3Schema",
    );
    assert_eq!(
        got.iter().map(ToString::to_string).collect::<Vec<_>>(),
        s(&[
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"
        ])
    );
}

fn int_or_string() -> Value {
    json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]})
}

/// A small Rollout-like schema, shaped like Argo Rollouts' CRD.
fn rollout_schema() -> Value {
    let selector = json!({
        "type": "object",
        "x-kubernetes-map-type": "atomic",
        "properties": {
            "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
            "matchExpressions": {"type": "array", "items": {
                "type": "object", "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "string"}}
                }
            }}
        }
    });
    let template = json!({
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}}
            }},
            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }
    });
    let step = json!({
        "type": "object",
        "properties": {
            "setWeight": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 100},
            "pause": {"type": "object", "properties": {"duration": int_or_string()}},
            "analysis": {"type": "object", "properties": {
                "templates": {"type": "array", "items": {"type": "object",
                    "properties": {"templateName": {"type": "string"}}}}
            }}
        }
    });
    let istio = json!({"type": "object", "properties": {
        "virtualService": {"type": "object", "properties": {
            "name": {"type": "string"},
            "routes": {"type": "array", "items": {"type": "string"}}
        }},
        "destinationRule": {"type": "object", "properties": {
            "name": {"type": "string"},
            "canarySubsetName": {"type": "string"},
            "stableSubsetName": {"type": "string"}
        }}
    }});
    let canary = json!({
        "type": "object",
        "properties": {
            "canaryService": {"type": "string"},
            "stableService": {"type": "string"},
            "maxSurge": int_or_string(),
            "maxUnavailable": int_or_string(),
            "steps": {"type": "array", "items": step},
            "trafficRouting": {"type": "object", "properties": {"istio": istio}}
        }
    });
    json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["selector", "template"],
                "properties": {
                    "replicas": {"type": "integer", "format": "int32"},
                    "revisionHistoryLimit": {"type": "integer", "format": "int32"},
                    "paused": {"type": "boolean"},
                    "selector": selector,
                    "template": template,
                    "strategy": {"type": "object", "properties": {"canary": canary}}
                }
            },
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }
    })
}

/// The seed's Rollout: blue, 10% steps, a manual pause, then timed pauses.
fn seed_rollout() -> Value {
    let template = json!({
        "metadata": {"labels": {"app": "istio-rollout"}, "annotations": {"sidecar.istio.io/inject": "true"}},
        "spec": {"containers": [{
            "name": "istio-rollout",
            "image": "argoproj/rollouts-demo:blue",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "resources": {"requests": {"memory": "32Mi", "cpu": "5m"}}
        }]}
    });
    let canary = json!({
        "canaryService": "istio-rollout-canary",
        "stableService": "istio-rollout-stable",
        "trafficRouting": {"istio": {
            "virtualService": {"name": "istio-rollout-vsvc", "routes": ["primary"]},
            "destinationRule": {"name": "istio-rollout-destrule", "canarySubsetName": "canary", "stableSubsetName": "stable"}
        }},
        "steps": [
            {"setWeight": 10},
            {"pause": {}},
            {"setWeight": 20},
            {"pause": {"duration": "20s"}},
            {"setWeight": 30},
            {"pause": {"duration": 20}},
            {"analysis": {"templates": [{"templateName": "success-rate"}]}}
        ]
    });
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "istio-rollout", "namespace": "default", "labels": {"app": "istio-rollout"}},
        "spec": {
            "revisionHistoryLimit": 2,
            "selector": {"matchLabels": {"app": "istio-rollout"}},
            "template": template,
            "strategy": {"canary": canary}
        }
    })
}

#[test]
fn rollout_seed_passes_unchanged() {
    let schema = rollout_schema();
    assert_eq!(validate_crd_schema(&schema), vec![]);
    let mut obj = seed_rollout();
    let unknown = prune_with_unknown_paths(&mut obj, &schema);
    assert_eq!(unknown, Vec::<String>::new());
    apply_defaults(&mut obj, &schema);
    assert_eq!(obj, seed_rollout());
    assert_eq!(validate(&obj, &schema), vec![]);
}

#[test]
fn rollout_with_wrong_type_and_unknown_field() {
    let schema = rollout_schema();
    let mut obj = seed_rollout();
    obj["spec"]["replicas"] = json!("two");
    obj["spec"]["foo"] = json!({"bar": 1});
    obj["spec"]["strategy"]["canary"]["steps"][0]["sideways"] = json!(true);
    let unknown = prune_with_unknown_paths(&mut obj, &schema);
    assert_eq!(
        unknown,
        s(&["spec.foo", "spec.strategy.canary.steps[0].sideways"])
    );
    assert!(obj["spec"].get("foo").is_none());
    apply_defaults(&mut obj, &schema);
    let errs = validate(&obj, &schema);
    assert_eq!(
        errs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        s(&[
            r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#
        ])
    );
    assert_eq!(errs[0].reason, FieldErrorType::TypeInvalid);
    assert_eq!(
        invalid_message("Rollout.argoproj.io", "istio-rollout", &errs),
        r#"Rollout.argoproj.io "istio-rollout" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#
    );

    // more mistakes at once: all of them, in a stable order
    let mut bad = seed_rollout();
    bad["spec"]["replicas"] = json!("two");
    bad["spec"]["strategy"]["canary"]["steps"][2]["setWeight"] = json!(150);
    bad["spec"]["strategy"]["canary"]["steps"][3]["pause"]["duration"] = json!(true);
    bad["spec"].as_object_mut().unwrap().remove("selector");
    prune(&mut bad, &schema);
    apply_defaults(&mut bad, &schema);
    let msg = invalid_message(
        "Rollout.argoproj.io",
        "istio-rollout",
        &validate(&bad, &schema),
    );
    assert_eq!(
        msg,
        concat!(
            r#"Rollout.argoproj.io "istio-rollout" is invalid: ["#,
            r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string", "#,
            r#"spec.strategy.canary.steps[2].setWeight: Invalid value: 150: spec.strategy.canary.steps[2].setWeight in body should be less than or equal to 100, "#,
            r#"spec.strategy.canary.steps[3].pause.duration: Invalid value: "boolean": spec.strategy.canary.steps[3].pause.duration in body must be of type integer,string: "boolean", "#,
            r#"<nil>: Invalid value: "": "spec.strategy.canary.steps[3].pause.duration" must validate at least one schema (anyOf), "#,
            r#"spec.strategy.canary.steps[3].pause.duration: Invalid value: "boolean": spec.strategy.canary.steps[3].pause.duration in body must be of type integer: "boolean", "#,
            r#"spec.selector: Required value]"#
        )
    );
}
