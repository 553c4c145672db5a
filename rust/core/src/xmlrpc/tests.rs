//! L0 tests of the codec: every type, Python's and Odoo's quirks, limits, every error kind.
#![allow(clippy::unreadable_literal, clippy::float_cmp, clippy::too_many_lines)]

use proptest::prelude::*;

use super::*;

fn call(body: &str) -> Call {
    decode(body.as_bytes()).unwrap_or_else(|e| panic!("{body:?}: {e}"))
}

fn params(body: &str) -> Vec<Value> {
    call(body).params
}

fn one(value_xml: &str) -> Value {
    let body = format!(
        "<methodCall><methodName>m</methodName><params><param>{value_xml}</param></params></methodCall>"
    );
    let mut p = params(&body);
    assert_eq!(p.len(), 1, "{value_xml}");
    p.remove(0)
}

fn kind(body: &str) -> DecodeErrorKind {
    decode(body.as_bytes()).expect_err(body).kind
}

fn kind_of(value_xml: &str) -> DecodeErrorKind {
    kind(&format!(
        "<methodCall><params><param>{value_xml}</param></params></methodCall>"
    ))
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

#[test]
fn every_type() {
    assert_eq!(one("<value><int>42</int></value>"), Value::Int(42));
    for tag in ["i1", "i2", "i4", "i8", "biginteger", "ex:int"] {
        assert_eq!(
            one(&format!("<value><{tag}>-7</{tag}></value>")),
            Value::Int(-7),
            "{tag}"
        );
    }
    assert_eq!(
        one("<value><i8>9223372036854775807</i8></value>"),
        Value::Int(i64::MAX)
    );
    assert_eq!(
        one("<value><boolean>1</boolean></value>"),
        Value::Bool(true)
    );
    assert_eq!(
        one("<value><boolean>0</boolean></value>"),
        Value::Bool(false)
    );
    assert_eq!(one("<value><string>a &amp; b</string></value>"), s("a & b"));
    assert_eq!(one("<value>bare</value>"), s("bare"));
    assert_eq!(one("<value/>"), s(""));
    assert_eq!(one("<value></value>"), s(""));
    assert_eq!(
        one("<value><double>1.5</double></value>"),
        Value::Double(1.5)
    );
    assert_eq!(
        one("<value><float> -inf </float></value>"),
        Value::Double(f64::NEG_INFINITY)
    );
    assert!(matches!(one("<value><double>NaN</double></value>"), Value::Double(v) if v.is_nan()));
    assert_eq!(
        one("<value><dateTime.iso8601>20240229T12:30:05</dateTime.iso8601></value>"),
        Value::DateTime(DateTime::new(2024, 2, 29, 12, 30, 5).expect("valid"))
    );
    assert_eq!(
        one("<value><base64>aGVsbG8=\n</base64></value>"),
        Value::Base64(b"hello".to_vec())
    );
    assert_eq!(one("<value><nil/></value>"), Value::Nil);
    assert_eq!(one("<value><ex:nil/></value>"), Value::Nil);
    assert_eq!(
        one("<value><bigdecimal>1.50</bigdecimal></value>"),
        Value::Decimal("1.50".to_owned())
    );
    assert_eq!(
        one(
            "<value><array><data><value><int>1</int></value><value>x</value></data></array></value>"
        ),
        Value::Array(vec![Value::Int(1), s("x")])
    );
    assert_eq!(
        one(
            "<value><struct><member><name>a</name><value><int>1</int></value></member>\
             <member><name>b</name><value><array><data/></array></value></member></struct></value>"
        ),
        Value::Struct(vec![
            ("a".to_owned(), Value::Int(1)),
            ("b".to_owned(), Value::Array(vec![]))
        ])
    );
}

#[test]
fn method_call_and_responses() {
    let c = call(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n</params>\n</methodCall>\n",
    );
    assert_eq!(c.method_name.as_deref(), Some("execute_kw"));
    assert!(c.params.is_empty());
    // No params element: the method name alone makes a body.
    let c = call("<methodCall><methodName>version</methodName></methodCall>");
    assert_eq!(
        (c.params.len(), c.method_name.as_deref()),
        (0, Some("version"))
    );
    let r = call(
        "<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>",
    );
    assert_eq!((r.params, r.method_name), (vec![Value::Int(1)], None));
}

#[test]
fn python_quirks() {
    // int() rules
    assert_eq!(one("<value><int> 1_000 </int></value>"), Value::Int(1000));
    assert_eq!(one("<value><int>+0012</int></value>"), Value::Int(12));
    // text since the last start tag
    assert_eq!(one("<value><int>1<x/>2</int></value>"), Value::Int(2));
    // comments, CDATA, entities, char refs, CRLF
    assert_eq!(
        one("<value><string>a<!-- c -->b<![CDATA[<&>]]>&#x41;&#66;&lt;</string></value>"),
        s("ab<&>AB<")
    );
    assert_eq!(one("<value>a\r\nb\rc</value>"), s("a\nb\nc"));
    assert_eq!(one("<value>&#13;</value>"), s("\r"));
    // duplicates kept in order
    assert_eq!(
        one(
            "<value><struct><member><name>k</name><value>1</value></member><member><name>k</name><value>2</value></member></struct></value>"
        ),
        Value::Struct(vec![("k".to_owned(), s("1")), ("k".to_owned(), s("2"))])
    );
    // members without <member>, bare values as keys: the stack machine pairs items
    assert_eq!(
        one(
            "<value><struct><name>a</name><value>1</value><value>b</value><value>2</value></struct></value>"
        ),
        Value::Struct(vec![("a".to_owned(), s("1")), ("b".to_owned(), s("2"))])
    );
    // two values in one <value>
    assert_eq!(
        params(
            "<methodCall><params><param><value><int>1</int><int>2</int></value></param></params></methodCall>"
        ),
        vec![Value::Int(1), Value::Int(2)]
    );
    // unknown tags outside <value> are ignored, attributes and namespaces too
    assert_eq!(
        one("<value xmlns:ex='urn:x' a=\"&amp;\"><ex:string>x</ex:string></value>"),
        s("x")
    );
    // BOM and declaration
    let body = "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><params><param><value>x</value></param></params></methodCall>";
    assert_eq!(params(body), vec![s("x")]);
    // <name> data kept after the end of an inner element (Python re-reads _data)
    assert_eq!(
        params(
            "<methodCall><params><param><name><string>a</string></name></param></params></methodCall>"
        ),
        vec![s("a"), s("a")]
    );
}

#[test]
fn every_error_kind() {
    use DecodeErrorKind as K;
    let limits = Limits {
        max_body_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        decode_with_limits(&[b' '; 11], &limits).map_err(|e| e.kind),
        Err(K::TooLarge { limit: 10 })
    );
    assert_eq!(
        decode(b"<methodCall>\xff</methodCall>").map_err(|e| e.kind),
        Err(K::InvalidUtf8)
    );
    assert_eq!(kind_of("<value>\u{1}</value>"), K::InvalidChar);
    assert_eq!(kind_of("<value>\u{FFFE}</value>"), K::InvalidChar);
    assert_eq!(kind_of("<value>&#0;</value>"), K::InvalidChar);
    assert_eq!(kind_of("<value>&#xD800;</value>"), K::InvalidChar);
    assert_eq!(kind_of("<value>&#99999999999;</value>"), K::InvalidChar);
    assert!(matches!(kind_of("<value>&#X41;</value>"), K::Malformed(_)));
    assert!(matches!(kind_of("<value></valu>"), K::Malformed(_)));
    assert!(matches!(kind_of("<value>a]]>b</value>"), K::Malformed(_)));
    assert!(matches!(
        kind_of("<value><!-- a -- b --></value>"),
        K::Malformed(_)
    ));
    assert!(matches!(
        kind_of("<value a='1' a='2'></value>"),
        K::Malformed(_)
    ));
    assert!(matches!(kind_of("<value a='<'></value>"), K::Malformed(_)));
    assert!(matches!(
        kind("<methodCall><params/></methodCall><x/>"),
        K::Malformed(_)
    ));
    assert!(matches!(
        kind("<methodCall><params/></methodCall>junk"),
        K::Malformed(_)
    ));
    assert!(matches!(
        kind("junk<methodCall><params/></methodCall>"),
        K::Malformed(_)
    ));
    assert!(matches!(kind("<methodCall><params>"), K::Malformed(_)));
    assert!(matches!(kind(""), K::Malformed(_)));
    assert!(matches!(
        kind(" <?xml version='1.0'?><methodCall><params/></methodCall>"),
        K::Malformed(_)
    ));
    assert!(matches!(kind("<1a/>"), K::Malformed(_)));
    assert_eq!(
        kind("<!DOCTYPE x [<!ENTITY a 'b'>]><methodCall><params/></methodCall>"),
        K::Doctype
    );
    assert_eq!(
        kind("<?xml version='1.0' encoding='latin-1'?><methodCall><params/></methodCall>"),
        K::UnsupportedEncoding("latin-1".to_owned())
    );
    assert!(matches!(
        kind(
            "<?xml version='1.0' encoding='us-ascii'?><methodCall><params><param><value>é</value></param></params></methodCall>"
        ),
        K::Malformed(_)
    ));
    assert_eq!(
        kind_of("<value>&foo;</value>"),
        K::UndefinedEntity("foo".to_owned())
    );
    let deep = format!(
        "{}{}",
        "<value><array><data>".repeat(65),
        "</data></array></value>".repeat(65)
    );
    assert_eq!(kind_of(&deep), K::TooDeep { limit: 64 });
    let ok = format!(
        "{}{}",
        "<value><array><data>".repeat(64),
        "</data></array></value>".repeat(64)
    );
    assert_eq!(
        decode(format!("<methodCall><params><param>{ok}</param></params></methodCall>").as_bytes())
            .map(|_| ()),
        Ok(())
    );
    let elements = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    assert_eq!(kind(&elements), K::TooDeep { limit: 64 });
    assert_eq!(
        kind_of("<value><foo/></value>"),
        K::UnknownTag("foo".to_owned())
    );
    assert_eq!(
        kind_of("<value><data/></value>"),
        K::UnknownTag("data".to_owned())
    );
    assert_eq!(
        kind_of("<value><boolean>true</boolean></value>"),
        K::BadBoolean
    );
    assert_eq!(
        kind_of("<value><boolean> 1</boolean></value>"),
        K::BadBoolean
    );
    assert_eq!(kind_of("<value><int>1.0</int></value>"), K::BadInt);
    assert_eq!(kind_of("<value><int></int></value>"), K::BadInt);
    assert_eq!(
        kind_of("<value><i8>9223372036854775808</i8></value>"),
        K::IntOutOfRange
    );
    assert_eq!(kind_of("<value><double>1,5</double></value>"), K::BadDouble);
    assert_eq!(
        kind_of("<value><bigdecimal>1e</bigdecimal></value>"),
        K::BadDecimal
    );
    assert!(matches!(
        kind_of("<value><base64>QQ=</base64></value>"),
        K::BadBase64(_)
    ));
    assert!(matches!(
        kind_of("<value><base64>&#233;</base64></value>"),
        K::BadBase64(_)
    ));
    assert_eq!(
        kind_of("<value><dateTime.iso8601>20240230T00:00:00</dateTime.iso8601></value>"),
        K::BadDateTime
    );
    assert_eq!(
        kind_of("<value><struct><name>a</name></struct></value>"),
        K::BadStruct
    );
    assert_eq!(
        kind_of("<value><struct><value><int>1</int></value><value>v</value></struct></value>"),
        K::BadStruct
    );
    assert_eq!(
        kind("<methodCall><param><value>x</value></param></methodCall>"),
        K::NotXmlRpc
    );
    assert_eq!(
        kind(
            "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>"
        ),
        K::Fault
    );
}

#[test]
fn errors_carry_positions() {
    let e =
        decode(b"<methodCall><params><param><value><boolean>2</boolean></value>").expect_err("bad");
    assert_eq!(e.kind, DecodeErrorKind::BadBoolean);
    assert_eq!(e.position, 44);
    assert!(e.to_string().contains("bad boolean value"));
}

fn resp(inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n{inner}</param>\n</params>\n\n</methodResponse>\n"
    )
}

fn enc(v: &Value) -> String {
    String::from_utf8(encode_response(v).expect("encodable")).expect("utf-8")
}

#[test]
fn encoder_matches_odoo() {
    assert_eq!(enc(&Value::Int(5)), resp("<value><int>5</int></value>\n"));
    assert_eq!(
        enc(&Value::Bool(false)),
        resp("<value><boolean>0</boolean></value>\n")
    );
    assert_eq!(
        enc(&s("a<&>\u{1}\t\u{1f}b")),
        resp("<value><string>a&lt;&amp;&gt;\tb</string></value>\n")
    );
    assert_eq!(
        enc(&Value::Array(vec![Value::Int(1), s("x")])),
        resp(
            "<value><array><data>\n<value><int>1</int></value>\n<value><string>x</string></value>\n</data></array></value>\n"
        )
    );
    assert_eq!(
        enc(&Value::Struct(vec![(
            "k<\u{1}".to_owned(),
            Value::Bool(true)
        )])),
        resp(
            "<value><struct>\n<member>\n<name>k&lt;\u{1}</name>\n<value><boolean>1</boolean></value>\n</member>\n</struct></value>\n"
        )
    );
    let dt = DateTime::new(2024, 1, 2, 3, 4, 5).expect("valid");
    assert_eq!(
        enc(&Value::DateTime(dt)),
        resp("<value><string>2024-01-02 03:04:05</string></value>\n")
    );
    assert_eq!(
        enc(&Value::Base64(b"hi".to_vec())),
        resp("<value><base64>\naGk=\n</base64></value>\n")
    );
    assert_eq!(
        enc(&Value::Base64(Vec::new())),
        resp("<value><base64>\n</base64></value>\n")
    );
    assert_eq!(
        encode_response(&Value::Int(1 << 31)),
        Err(EncodeError::IntOverflow)
    );
    assert_eq!(
        enc(&Value::Int(-(1 << 31))),
        resp("<value><int>-2147483648</int></value>\n")
    );
    assert_eq!(
        encode_response(&Value::Nil),
        Err(EncodeError::NoneNotAllowed)
    );
    assert_eq!(
        EncodeError::NoneNotAllowed.to_string(),
        "cannot marshal None unless allow_none is enabled"
    );
    assert!(matches!(
        encode_response(&Value::Decimal("1".into())),
        Err(EncodeError::Unsupported(_))
    ));
}

#[test]
fn base64_lines_like_encodebytes() {
    let mut out = Vec::new();
    write_base64_lines(&mut out, &[0u8; 58]);
    let text = String::from_utf8(out).expect("ascii");
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].len(), 76);
    assert_eq!(lines[1], "AA==");
}

#[test]
fn fault_matches_odoo() {
    let f = String::from_utf8(encode_fault(3, "Access <Denied>\u{0}").expect("ok")).expect("utf-8");
    assert_eq!(
        f,
        "<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n\
         <value><int>3</int></value>\n</member>\n<member>\n<name>faultString</name>\n\
         <value><string>Access &lt;Denied&gt;</string></value>\n</member>\n</struct></value>\n</fault>\n\n</methodResponse>\n"
    );
    assert_eq!(encode_fault(1 << 40, "x"), Err(EncodeError::IntOverflow));
}

fn repr(v: f64) -> String {
    let mut out = Vec::new();
    write_float_repr(&mut out, v);
    String::from_utf8(out).expect("ascii")
}

#[test]
fn float_repr_like_python() {
    let cases = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.1, "0.1"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (1.5e16, "1.5e+16"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.2345e-7, "1.2345e-07"),
        (123.456, "123.456"),
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (5e-324, "5e-324"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
        (-f64::NAN, "nan"),
        (1.0 / 3.0, "0.3333333333333333"),
        (2.0f64.powi(60), "1.152921504606847e+18"),
        // Two 16-digit strings round-trip; Python writes the closest (an exact tie: the even one).
        // 2**49 + 0.25, its negative, 2**49 + 0.75
        (f64::from_bits(0x4300_0000_0000_0002), "562949953421312.2"),
        (f64::from_bits(0xC300_0000_0000_0002), "-562949953421312.2"),
        (f64::from_bits(0x4300_0000_0000_0006), "562949953421312.8"),
        // Next to a power of two the closest 16-digit string does not round-trip.
        (2.0f64.powi(-24), "5.960464477539063e-08"),
    ];
    for (v, want) in cases {
        assert_eq!(repr(v), want, "{v:e}");
    }
}

/// Values that survive Odoo's encoder and come back identical from the decoder.
fn roundtrip_value() -> impl Strategy<Value = Value> {
    let key = "[a-zA-Z_<>&\"' \u{e9}\u{4e2d}]{0,8}";
    let leaf = prop_oneof![
        (i64::from(i32::MIN)..=i64::from(i32::MAX)).prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\r\u{fffe}\u{ffff}]{0,20}".prop_map(Value::String),
        any::<f64>().prop_map(Value::Double),
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(Value::Base64),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..6).prop_map(Value::Struct),
        ]
    })
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(v in roundtrip_value()) {
        let bytes = encode_response(&v).expect("encodable");
        let back = decode(&bytes).expect("decodable");
        prop_assert_eq!(back.method_name, None);
        prop_assert_eq!(back.params.len(), 1);
        prop_assert!(back.params[0].same_as(&v), "{:?} != {:?}", back.params[0], v);
    }

    #[test]
    fn decoder_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&body);
    }

    #[test]
    fn decoder_never_panics_on_near_xmlrpc(parts in proptest::collection::vec(prop_oneof![
        Just("<value>"), Just("</value>"), Just("<array>"), Just("</array>"), Just("<data>"), Just("</data>"),
        Just("<struct>"), Just("</struct>"), Just("<member>"), Just("</member>"), Just("<name>"), Just("</name>"),
        Just("<int>"), Just("</int>"), Just("<string>"), Just("</string>"), Just("<params>"), Just("</params>"),
        Just("<base64>"), Just("</base64>"), Just("<nil/>"), Just("&amp;"), Just("1"), Just("x"), Just("<![CDATA[z]]>"),
        Just("<dateTime.iso8601>"), Just("</dateTime.iso8601>"), Just("<fault>"), Just("</fault>"),
    ], 0..40)) {
        let body = format!("<methodCall>{}</methodCall>", parts.concat());
        let _ = decode(body.as_bytes());
    }
}

fn escaped(text: &str, table: &[u8; 256], fast: bool) -> String {
    let mut out = Vec::new();
    if fast {
        encode::write_escaped(&mut out, text, table);
    } else {
        encode::write_escaped_slow(&mut out, text.as_bytes(), table);
    }
    String::from_utf8(out).expect("utf-8 in, utf-8 out")
}

#[test]
fn writer_fast_paths_on_fixed_cases() {
    for text in [
        "",
        "plain",
        "a&b",
        "<x>",
        "tab\there",
        "\u{1}\u{1f}",
        "\r\n",
        "\u{e9}\u{4e2d}&",
    ] {
        for table in [&encode::STRING_ESCAPES, &encode::NAME_ESCAPES] {
            assert_eq!(
                escaped(text, table, true),
                escaped(text, table, false),
                "{text:?}"
            );
        }
    }
    for v in [
        0,
        1,
        -1,
        9,
        10,
        99,
        100,
        i64::MAX,
        i64::MIN,
        i64::from(i32::MIN),
    ] {
        let mut out = Vec::new();
        encode::write_int(&mut out, v);
        assert_eq!(out, v.to_string().into_bytes());
    }
    let mut w = Writer::new();
    w.datetime(1, 2, 3, 4, 5, 6);
    w.date(9999, 12, 31);
    assert_eq!(
        String::from_utf8(w.into_inner()).expect("ascii"),
        "<value><string>1-02-03 04:05:06</string></value>\n\
         <value><string>9999-12-31</string></value>\n"
    );
}

proptest! {
    #[test]
    fn escape_fast_path_agrees_with_the_table_walk(text in "\\PC{0,40}|[\u{0}-\u{7f}]{0,40}") {
        for table in [&encode::STRING_ESCAPES, &encode::NAME_ESCAPES] {
            prop_assert_eq!(escaped(&text, table, true), escaped(&text, table, false));
        }
    }

    #[test]
    fn int_digits_agree_with_display(v in any::<i64>()) {
        let mut out = Vec::new();
        encode::write_int(&mut out, v);
        prop_assert_eq!(out, v.to_string().into_bytes());
    }

    #[test]
    fn float_fast_path_agrees_with_the_general_repr(
        v in prop_oneof![
            any::<f64>(),
            (-(1i64 << 54)..(1i64 << 54)).prop_map(|i| i as f64),
            (-1_000_000i64..1_000_000).prop_map(|i| i as f64 * 0.5),
            Just(1e16 - 2.0), Just(1e16), Just(-0.0), Just(9_007_199_254_740_993.0),
        ]
    ) {
        let mut general = Vec::new();
        encode::write_float_repr_general(&mut general, v);
        prop_assert_eq!(repr(v).into_bytes(), general);
    }
}

fn same_call(a: &Call, b: &Call) -> bool {
    a.method_name == b.method_name
        && a.params.len() == b.params.len()
        && a.params.iter().zip(&b.params).all(|(x, y)| x.same_as(y))
}

/// Whenever the fast path answers, the general path answers the same.
fn paths_agree(body: &[u8]) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    if let Some(fast) = paths::fast(body, &limits) {
        let general = paths::general(body, &limits);
        match (&fast, &general) {
            (Ok(a), Ok(b)) => prop_assert!(same_call(a, b), "{a:?} != {b:?}"),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "fast {fast:?} but general {general:?}"),
        }
    }
    Ok(())
}

fn takes_fast_path(body: &str) -> Call {
    let limits = Limits::default();
    let fast = paths::fast(body.as_bytes(), &limits)
        .unwrap_or_else(|| panic!("fast path gave up on {body:?}"))
        .expect("decodes");
    let general = paths::general(body.as_bytes(), &limits).expect("general path decodes");
    assert!(same_call(&fast, &general), "{fast:?} != {general:?}");
    fast
}

#[test]
fn fast_path_takes_the_common_shapes() {
    let call = takes_fast_path(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n\
         <param>\n<value><string>db &amp; &lt;x&gt; &#233;&#x4e2d;</string></value>\n</param>\n\
         <param>\n<value><i4>2</i4></value>\n</param>\n<param>\n<value>bare</value>\n</param>\n\
         <param>\n<value><array><data>\n<value><boolean>1</boolean></value>\n<value><nil/></value>\n\
         <value><double>1.5</double></value>\n<value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601></value>\n\
         <value><base64>aGk=\n</base64></value>\n<value/><value><string/></value></data></array></value>\n</param>\n\
         <param>\n<value><struct>\n<member>\n<name>a&amp;b</name>\n<value><int>1</int></value>\n</member>\n\
         <member><name>k</name><value><struct></struct></value></member>\n</struct></value>\n</param>\n\
         </params>\n</methodCall>\n",
    );
    assert_eq!(call.method_name.as_deref(), Some("execute_kw"));
    assert_eq!(call.params[0], s("db & <x> \u{e9}\u{4e2d}"));
    assert_eq!(call.params[2], s("bare"));
    for decl in [
        "",
        "<?xml version=\"1.0\"?>",
        "<?xml version='1.0' encoding='utf-8'?>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    ] {
        takes_fast_path(&format!(
            "{decl}<methodResponse><params><param><value>x</value></param></params></methodResponse>"
        ));
    }
    // What Odoo's encoder writes, for every kind of value it writes.
    let v = Value::Struct(vec![
        ("s".into(), s("a & <b> \u{e9}")),
        ("i".into(), Value::Int(-7)),
        ("f".into(), Value::Double(0.1)),
        ("b".into(), Value::Bool(false)),
        ("raw".into(), Value::Base64(vec![0, 1, 2, 255])),
        ("l".into(), Value::Array(vec![Value::Array(vec![])])),
    ]);
    let body = String::from_utf8(encode_response(&v).expect("encodable")).expect("utf-8");
    assert!(takes_fast_path(&body).params[0].same_as(&v));
}

#[test]
fn fast_path_leaves_the_rest_to_quick_xml() {
    let limits = Limits::default();
    for body in [
        "<methodCall><params><param><value>a\r\nb</value></param></params></methodCall>",
        "<methodCall><!-- c --><params/></methodCall>",
        "<methodCall><params a='1'/></methodCall>",
        "<methodCall><params><param><value><![CDATA[x]]></value></param></params></methodCall>",
        "<?xml version='1.0' standalone='yes'?><methodCall><params/></methodCall>",
        "<methodCall><params/></methodCall><!-- after -->",
        "<methodCall><params><param><value><ex:nil/></value></param></params></methodCall>",
        "<methodCall><params><param><value><bigdecimal>1.5</bigdecimal></value></param></params></methodCall>",
        "<methodCall><params ></params></methodCall>",
        "<methodCall><params></params ></methodCall>",
        "<methodCall><foo/><params/></methodCall>",
        "<?xml version='1.0'?><?pi x?><methodCall><params/></methodCall>",
    ] {
        assert!(paths::fast(body.as_bytes(), &limits).is_none(), "{body:?}");
        assert_eq!(
            decode(body.as_bytes()),
            paths::general(body.as_bytes(), &limits)
        );
    }
    // Errors are always the general path's.
    for body in [
        "<methodCall><params><param><value><int>x</int></value></param></params></methodCall>",
        "<methodCall><params><param><value>&bogus;</value></param></params></methodCall>",
        "<methodCall><params><param><value></param></params></methodCall>",
        "<methodCall><params><param><value><struct><name>k</name></struct></value></param></params></methodCall>",
        "<methodCall><params><param><value><member/></value></param></params></methodCall>",
        "<methodCall><params/></methodCall><methodCall/>",
        "<methodCall><params/></methodCall>x",
        "<methodCall><params><array>",
        "<methodResponse><fault><value><int>1</int></value></fault></methodResponse>",
        "<methodCall><value>x</value></methodCall>",
        "",
    ] {
        assert!(paths::fast(body.as_bytes(), &limits).is_none(), "{body:?}");
        assert!(decode(body.as_bytes()).is_err(), "{body:?}");
    }
    let deep = format!(
        "<params>{}{}</params>",
        "<value><array><data>".repeat(65),
        "</data></array></value>".repeat(65)
    );
    assert!(paths::fast(deep.as_bytes(), &limits).is_none());
    assert!(matches!(
        decode(deep.as_bytes()).map_err(|e| e.kind),
        Err(DecodeErrorKind::TooDeep { limit: 64 })
    ));
}

proptest! {
    #[test]
    fn fast_and_general_paths_agree_on_near_xmlrpc(
        decl in prop_oneof![Just(""), Just("<?xml version='1.0'?>\n"), Just("<?xml version=\"1.0\" encoding=\"utf-8\"?>")],
        parts in proptest::collection::vec(prop_oneof![
            Just("<value>"), Just("</value>"), Just("<array>"), Just("</array>"), Just("<data>"), Just("</data>"),
            Just("<struct>"), Just("</struct>"), Just("<member>"), Just("</member>"), Just("<name>"), Just("</name>"),
            Just("<int>"), Just("</int>"), Just("<i4>"), Just("</i4>"), Just("<string>"), Just("</string>"),
            Just("<params>"), Just("</params>"), Just("<param>"), Just("</param>"), Just("<boolean>"), Just("</boolean>"),
            Just("<double>"), Just("</double>"), Just("<base64>"), Just("</base64>"), Just("<nil/>"), Just("<value/>"),
            Just("<string/>"), Just("<methodName>"), Just("</methodName>"),
            Just("&amp;"), Just("&#65;"), Just("&x;"), Just("1"), Just("0"), Just("x"), Just("aGk="), Just(" "), Just("\n"),
            Just("2.5"), Just("20240102T03:04:05"), Just("<dateTime.iso8601>"), Just("</dateTime.iso8601>"),
            Just("<fault>"), Just("</fault>"), Just("<![CDATA[z]]>"), Just("\r"), Just("<!--c-->"), Just("]]>"),
        ], 0..40),
        root in prop_oneof![Just("methodCall"), Just("methodResponse"), Just("params")],
    ) {
        let body = format!("{decl}<{root}>{}</{root}>\n", parts.concat());
        paths_agree(body.as_bytes())?;
    }

    #[test]
    fn fast_path_takes_and_agrees_on_encoded_values(v in roundtrip_value()) {
        let body = encode_response(&v).expect("encodable");
        paths_agree(&body)?;
        let fast = paths::fast(&body, &Limits::default());
        prop_assert!(matches!(fast, Some(Ok(_))), "fast path gave up on our own output");
    }

    #[test]
    fn fast_and_general_paths_agree_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        paths_agree(&body)?;
    }
}
