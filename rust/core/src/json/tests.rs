use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn dec(body: &str) -> Result<Value, DecodeError<String>> {
    decode(body.as_bytes(), &Limits::default())
}

fn enc(value: &Value) -> String {
    String::from_utf8(encode_value(value).unwrap()).unwrap()
}

#[test]
fn decodes_scalars_and_containers() {
    assert_eq!(dec("null").unwrap(), Value::Null);
    assert_eq!(dec(" true ").unwrap(), json!(true));
    assert_eq!(dec("-12").unwrap(), json!(-12));
    assert_eq!(dec("\"a\\u00e9\\n\"").unwrap(), json!("a\u{e9}\n"));
    assert_eq!(
        dec(r#"{"a":[1,2.5,{"b":null}],"c":"d"}"#).unwrap(),
        json!({"a": [1, 2.5, {"b": null}], "c": "d"})
    );
    assert_eq!(dec("[]").unwrap(), json!([]));
    assert_eq!(dec("{}").unwrap(), json!({}));
}

/// Records every call, to see exactly what a builder receives.
#[derive(Default)]
struct Trace(Vec<String>);

impl Builder<'_> for Trace {
    type Item = ();
    type Error = String;
    fn null(&mut self) -> Result<(), String> {
        self.0.push("null".into());
        Ok(())
    }
    fn boolean(&mut self, v: bool) -> Result<(), String> {
        self.0.push(format!("bool {v}"));
        Ok(())
    }
    fn int(&mut self, v: i64) -> Result<(), String> {
        self.0.push(format!("int {v}"));
        Ok(())
    }
    fn uint(&mut self, v: u64) -> Result<(), String> {
        self.0.push(format!("uint {v}"));
        Ok(())
    }
    fn big_int(&mut self, digits: &str) -> Result<(), String> {
        self.0.push(format!("big {digits}"));
        Ok(())
    }
    fn float(&mut self, v: f64) -> Result<(), String> {
        self.0.push(format!("float {v:?}"));
        Ok(())
    }
    fn string(&mut self, v: &str) -> Result<(), String> {
        if v == "refuse" {
            return Err("refused".into());
        }
        self.0.push(format!("str {v}"));
        Ok(())
    }
    fn key(&mut self, v: &str) -> Result<(), String> {
        self.0.push(format!("key {v}"));
        Ok(())
    }
    fn array(&mut self, items: Vec<()>) -> Result<(), String> {
        self.0.push(format!("array {}", items.len()));
        Ok(())
    }
    fn object(&mut self, items: Vec<((), ())>) -> Result<(), String> {
        self.0.push(format!("object {}", items.len()));
        Ok(())
    }
}

fn trace(body: &str) -> Result<Vec<String>, DecodeError<String>> {
    let mut t = Trace::default();
    decode_with(body.as_bytes(), &Limits::default(), &mut t).map(|()| t.0)
}

#[test]
fn integers_keep_their_exact_value() {
    assert_eq!(
        trace("9223372036854775807").unwrap(),
        ["int 9223372036854775807"]
    );
    assert_eq!(
        trace("-9223372036854775808").unwrap(),
        ["int -9223372036854775808"]
    );
    assert_eq!(
        trace("9223372036854775808").unwrap(),
        ["uint 9223372036854775808"]
    );
    assert_eq!(
        trace("18446744073709551616").unwrap(),
        ["big 18446744073709551616"]
    );
    assert_eq!(
        trace("-9223372036854775809").unwrap(),
        ["big -9223372036854775809"]
    );
    // Python: json.loads("-0") == 0 (an int).
    assert_eq!(trace("-0").unwrap(), ["int 0"]);
    assert_eq!(
        trace("[123456789012345678901234567890]").unwrap(),
        ["big 123456789012345678901234567890", "array 1"]
    );
}

#[test]
fn floats_are_correctly_rounded() {
    assert_eq!(trace("0.1").unwrap(), ["float 0.1"]);
    assert_eq!(trace("-0.0").unwrap(), ["float -0.0"]);
    assert_eq!(trace("1E2").unwrap(), ["float 100.0"]);
    assert_eq!(
        trace("2.2250738585072011e-308").unwrap(),
        ["float 2.225073858507201e-308"]
    );
    assert_eq!(trace("1e-400").unwrap(), ["float 0.0"]);
    let err = trace("[1e400]").unwrap_err();
    assert!(err.to_string().contains("number out of range"), "{err}");
}

#[test]
fn refuses_what_json_forbids() {
    for body in [
        "NaN",
        "Infinity",
        "-Infinity",
        "[1,]",
        "{\"a\":1,}",
        "01",
        "1.",
        ".5",
        "'a'",
        "",
        "[1] [2]",
        "{\"a\"}",
        "\"\\x\"",
        "\"a\u{1}\"",
        "tru",
        "[",
        "{1:2}",
    ] {
        assert!(
            matches!(dec(body), Err(DecodeError::Syntax(_))),
            "{body:?} gave {:?}",
            dec(body)
        );
    }
}

#[test]
fn refuses_lone_surrogates_and_keeps_pairs() {
    assert_eq!(dec(r#""\ud83d\ude00""#).unwrap(), json!("\u{1f600}"));
    for body in [
        r#""\ud800""#,
        r#""\udc00""#,
        r#""\ud800x""#,
        r#"{"\udfff":1}"#,
    ] {
        assert!(matches!(dec(body), Err(DecodeError::Syntax(_))), "{body}");
    }
}

#[test]
fn refuses_invalid_utf8_without_panic() {
    for body in [
        &b"\"\xff\""[..],
        b"[\"\xc3\"]",
        b"\xed\xa0\x80",
        b"{\"\xe2\x82\":1}",
    ] {
        assert!(
            matches!(
                decode(body, &Limits::default()),
                Err(DecodeError::Syntax(_))
            ),
            "{body:?}"
        );
    }
}

#[test]
fn skips_a_utf8_bom_as_python_does_for_bytes() {
    assert_eq!(
        decode(b"\xef\xbb\xbf[1]", &Limits::default()).unwrap(),
        json!([1])
    );
}

#[test]
fn depth_limit_holds_for_arrays_objects_and_mixes() {
    let limits = Limits {
        max_bytes: 1 << 20,
        max_depth: 3,
    };
    assert!(decode(b"[[[]]]", &limits).is_ok());
    assert!(decode(br#"{"a":{"b":{}}}"#, &limits).is_ok());
    assert_eq!(
        decode(b"[[[[]]]]", &limits),
        Err(DecodeError::TooDeep { limit: 3 })
    );
    assert_eq!(
        decode(br#"{"a":[{"b":[]}]}"#, &limits),
        Err(DecodeError::TooDeep { limit: 3 })
    );
    assert_eq!(
        decode(br#"{"x":1,"a":[{"b":[]}]}"#, &limits),
        Err(DecodeError::TooDeep { limit: 3 })
    );
    let bomb = "[".repeat(100_000);
    assert_eq!(
        decode(bomb.as_bytes(), &Limits::default()),
        Err(DecodeError::TooDeep { limit: 64 })
    );
    let bomb = "{\"a\":".repeat(100_000);
    assert_eq!(
        decode(bomb.as_bytes(), &Limits::default()),
        Err(DecodeError::TooDeep { limit: 64 })
    );
    let at_max = Limits {
        max_bytes: 1 << 20,
        max_depth: MAX_DEPTH,
    };
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(decode(deep.as_bytes(), &at_max).is_ok());
    let deeper = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(
        decode(deeper.as_bytes(), &at_max),
        Err(DecodeError::TooDeep { limit: MAX_DEPTH })
    );
    let too_high = Limits {
        max_bytes: 1,
        max_depth: MAX_DEPTH + 1,
    };
    assert!(matches!(
        decode(b"1", &too_high),
        Err(DecodeError::InvalidLimit { .. })
    ));
}

#[test]
fn size_limit() {
    let limits = Limits {
        max_bytes: 4,
        max_depth: 8,
    };
    assert!(decode(b"[12]", &limits).is_ok());
    assert_eq!(
        decode(b"[123]", &limits),
        Err(DecodeError::TooLarge { size: 5, limit: 4 })
    );
}

#[test]
fn an_object_keyed_by_the_number_token_stays_an_object() {
    let token = "$serde_json::private::Number";
    for (body, want) in [
        (format!(r#"{{"{token}":"12"}}"#), json!({token: "12"})),
        (format!(r#"{{"{token}":12}}"#), json!({token: 12})),
        (
            format!(r#"{{"{token}":[1.5],"b":2}}"#),
            json!({token: [1.5], "b": 2}),
        ),
        (format!(r#"{{"{token}":"a\nb"}}"#), json!({token: "a\nb"})),
    ] {
        assert_eq!(dec(&body).unwrap(), want, "{body}");
    }
}

#[test]
fn builder_errors_come_back_as_builder_errors() {
    assert_eq!(
        trace(r#"["ok","refuse"]"#),
        Err(DecodeError::Builder("refused".into()))
    );
}

#[test]
fn encodes_as_python_compact_json() {
    // json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert_eq!(
        enc(&json!({"a": [1, -2, true, null], "b": "é\"\\\n\u{1}\u{7f}\u{2028}"})),
        "{\"a\":[1,-2,true,null],\"b\":\"é\\\"\\\\\\n\\u0001\u{7f}\u{2028}\"}"
    );
    let mut w = Writer::new();
    for (i, f) in [1.0, 0.1, 1e16, 1.5e-5, -0.0, 123_456.789, 1e22, 5e-324]
        .iter()
        .enumerate()
    {
        if i > 0 {
            w.comma();
        }
        w.float(*f).unwrap();
    }
    assert_eq!(
        std::str::from_utf8(w.as_bytes()).unwrap(),
        "1.0,0.1,1e+16,1.5e-05,-0.0,123456.789,1e+22,5e-324"
    );
    let mut w = Writer::new();
    assert_eq!(w.float(f64::NAN), Err(EncodeError::NonFinite));
    assert_eq!(w.float(f64::INFINITY), Err(EncodeError::NonFinite));
    assert_eq!(w.float(f64::NEG_INFINITY), Err(EncodeError::NonFinite));
    let mut w = Writer::new();
    w.int(i64::MIN);
    w.comma();
    w.uint(u64::MAX);
    w.comma();
    w.digits("-123456789012345678901234567890");
    assert_eq!(
        w.as_bytes(),
        b"-9223372036854775808,18446744073709551615,-123456789012345678901234567890"
    );
}

#[test]
fn big_numbers_round_trip_through_value() {
    for body in [
        "123456789012345678901234567890",
        "-18446744073709551617",
        "[0.1,1e+16]",
    ] {
        assert_eq!(enc(&dec(body).unwrap()), body);
    }
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Compares numbers by value (a float's text may differ between writers).
fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(l), Value::Number(r)) => match (l.as_i64(), r.as_i64()) {
            (Some(li), Some(ri)) => li == ri,
            _ => match (l.as_u64(), r.as_u64()) {
                (Some(lu), Some(ru)) => lu == ru,
                _ => l.as_f64().map(f64::to_bits) == r.as_f64().map(f64::to_bits),
            },
        },
        (Value::Array(l), Value::Array(r)) => {
            l.len() == r.len() && l.iter().zip(r).all(|(li, ri)| same(li, ri))
        }
        (Value::Object(l), Value::Object(r)) => {
            l.len() == r.len()
                && l.iter()
                    .zip(r)
                    .all(|((lk, li), (rk, ri))| lk == rk && same(li, ri))
        }
        _ => left == right,
    }
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(value in arb_value()) {
        let bytes = encode_value(&value).unwrap();
        let back = decode(&bytes, &Limits::default()).unwrap();
        prop_assert!(same(&value, &back), "{value:?} -> {back:?}");
        // And it is valid JSON for serde_json's own parser.
        prop_assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes, &Limits::default());
    }

    #[test]
    fn json_like_garbage_never_panics(body in "[\\[\\]{}\",:0-9eE.+\\-a-z\\\\ ]{0,64}") {
        let _ = decode(body.as_bytes(), &Limits { max_bytes: 1 << 10, max_depth: 4 });
    }
}
