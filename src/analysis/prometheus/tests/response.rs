use super::super::*;
use crate::analysis::MeasurementValue;

fn ok(body: &str) -> Result<MeasurementValue, String> {
    parse_response(200, body.as_bytes())
        .map(|r| r.value)
        .map_err(|e| e.to_string())
}

#[test]
fn values_by_result_type() {
    let scalar =
        r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"0.95"]}}"#;
    let vector = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"destination_service":"canary"},"value":[1700000000,"10"]},
        {"metric":{"destination_service":"stable"},"value":[1700000000,"11"]}]}}"#;
    let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
    let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"a":"1"},"values":[[1,"11"],[2,"12"]]},
        {"metric":{"a":"2"},"values":[[1,"13"],[2,"14"]]}]}}"#;
    let special = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{},"value":[1,"NaN"]},{"metric":{},"value":[1,"+Inf"]},{"metric":{},"value":[1,"-Inf"]}]}}"#;
    assert_eq!(ok(scalar), Ok(MeasurementValue::Scalar(0.95)));
    assert_eq!(ok(vector), Ok(MeasurementValue::Vector(vec![10.0, 11.0])));
    assert_eq!(ok(empty), Ok(MeasurementValue::Vector(vec![])));
    assert_eq!(
        ok(matrix),
        Ok(MeasurementValue::Vector(vec![11.0, 12.0, 13.0, 14.0]))
    );
    let special = ok(special).expect("parses");
    assert_eq!(special.to_string(), "[NaN,+Inf,-Inf]");
    // value strings as Argo stores them
    assert_eq!(ok(vector).map(|v| v.to_string()), Ok("[10,11]".to_owned()));
    assert_eq!(ok(scalar).map(|v| v.to_string()), Ok("0.95".to_owned()));
}

#[test]
fn warnings_are_kept() {
    let body = r#"{"status":"success","warnings":["PromQL info: metric might not be a counter"],
        "data":{"resultType":"vector","result":[]}}"#;
    let response = parse_response(200, body.as_bytes()).expect("parses");
    assert_eq!(
        response.warnings,
        vec!["PromQL info: metric might not be a counter".to_owned()]
    );
}

#[test]
fn errors() {
    let cases: Vec<(u16, &str, &str)> = vec![
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected <EOF>"}"#,
            "bad_data: invalid parameter \"query\": 1:5: parse error: unexpected <EOF>",
        ),
        (
            422,
            r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples"}"#,
            "execution: query processing would load too many samples",
        ),
        (
            503,
            r#"{"status":"error","errorType":"unavailable","error":"x"}"#,
            "server error: 503",
        ),
        (
            502,
            "upstream connect error",
            "server error: 502: upstream connect error",
        ),
        (401, "", "client error: 401"),
        (
            404,
            "404 page not found\nmore",
            "client error: 404: 404 page not found",
        ),
        (302, "", "bad response code 302"),
        (
            400,
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            "bad_response: inconsistent body for response code",
        ),
        (200, "<html>not json</html>", "bad_response: "),
        (
            200,
            r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
            "Prometheus metric type not supported: string",
        ),
        (
            200,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}}"#,
            "not supported: native histogram samples",
        ),
        (
            200,
            r#"{"status":"success","data":{"resultType":"scalar","result":[1,"abc"]}}"#,
            "sample value \"abc\" is not a number",
        ),
        (
            200,
            r#"{"status":"success"}"#,
            "no data in a successful response",
        ),
    ];
    for (status, body, want) in cases {
        let got = parse_response(status, body.as_bytes()).map_err(|e| e.to_string());
        assert!(
            got.as_ref().is_err_and(|e| e.contains(want)),
            "{status} {body}: {got:?} should contain {want:?}"
        );
    }
}
