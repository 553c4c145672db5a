//! Criterion benches of the XML-RPC codec (`xmlrpc/<op>/<case>`, throughput in bytes).
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use odoo_mcp_core::xmlrpc::{DateTime, Limits, Value, decode, encode_response, paths};

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// A `search_read` result of `n` rows x 10 fields, as Odoo returns it.
fn search_read(n: i64) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                Value::Struct(vec![
                    ("id".into(), Value::Int(i)),
                    ("name".into(), s(&format!("Partner {i} & Sons <main>"))),
                    ("active".into(), Value::Bool(i % 7 != 0)),
                    ("credit_limit".into(), Value::Double(i as f64 * 10.5)),
                    (
                        "parent_id".into(),
                        if i % 4 == 0 {
                            Value::Bool(false)
                        } else {
                            Value::Array(vec![
                                Value::Int(i / 3 + 1),
                                s(&format!("Company {}", i / 3 + 1)),
                            ])
                        },
                    ),
                    ("email".into(), s(&format!("partner{i}@example.com"))),
                    (
                        "write_date".into(),
                        Value::DateTime(
                            DateTime::new(2024, 5, 6, 7, 8, (i % 60) as u8).expect("valid"),
                        ),
                    ),
                    ("phone".into(), Value::Bool(false)),
                    (
                        "user_id".into(),
                        Value::Array(vec![Value::Int(2), s("Mitchell Admin")]),
                    ),
                    ("sequence".into(), Value::Int(i % 100)),
                ])
            })
            .collect(),
    )
}

/// `xmlrpc.client.dumps(params, methodname="execute_kw")` of the encoded value, by hand.
fn method_call(params: &[Value]) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n",
    );
    for p in params {
        let doc = String::from_utf8(encode_response(p).expect("encodable")).expect("utf-8");
        let inner = doc
            .split_once("<param>\n")
            .and_then(|(_, rest)| rest.split_once("</param>"))
            .map(|(v, _)| v)
            .expect("one param");
        let _ = write!(out, "<param>\n{inner}</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out.into_bytes()
}

fn execute_kw_1k() -> Vec<u8> {
    let domain = Value::Array(vec![Value::Array(vec![
        Value::Array(vec![s("is_company"), s("="), Value::Bool(true)]),
        Value::Array(vec![s("customer_rank"), s(">"), Value::Int(0)]),
    ])]);
    let kwargs = Value::Struct(vec![
        (
            "fields".into(),
            Value::Array(
                ["name", "email", "phone", "country_id", "parent_id"]
                    .iter()
                    .map(|f| s(f))
                    .collect(),
            ),
        ),
        ("limit".into(), Value::Int(80)),
        ("offset".into(), Value::Int(0)),
        ("order".into(), s("name asc")),
        (
            "context".into(),
            Value::Struct(vec![
                ("lang".into(), s("en_US")),
                ("tz".into(), s("Europe/Brussels")),
                (
                    "allowed_company_ids".into(),
                    Value::Array(vec![Value::Int(1)]),
                ),
            ]),
        ),
    ]);
    method_call(&[
        s("odoo_db"),
        Value::Int(2),
        s("0123456789abcdef0123456789abcdef01234567"),
        s("res.partner"),
        s("search_read"),
        domain,
        kwargs,
    ])
}

fn bench_decode(c: &mut Criterion) {
    let cases = [
        ("execute_kw_1k", execute_kw_1k()),
        (
            "create_1000",
            method_call(&[
                s("odoo_db"),
                Value::Int(2),
                s("secret"),
                s("res.partner"),
                s("create"),
                search_read(1000),
            ]),
        ),
    ];
    for (name, body) in cases {
        let mut group = c.benchmark_group(format!("xmlrpc/decode/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("decode", |b| {
            b.iter(|| decode(black_box(&body)).expect("decodable"));
        });
        // quick-xml's general path alone: what a body the fast path gives up on costs.
        let limits = Limits::default();
        group.bench_function("general_path", |b| {
            b.iter(|| paths::general(black_box(&body), &limits).expect("decodable"));
        });
        group.finish();
    }
}

fn bench_encode(c: &mut Criterion) {
    for n in [80, 1000] {
        let value = search_read(n);
        let size = encode_response(&value).expect("encodable").len();
        let mut group = c.benchmark_group(format!("xmlrpc/encode/search_read_{n}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function("encode", |b| {
            b.iter(|| encode_response(black_box(&value)).expect("encodable"));
        });
        group.finish();
    }
}

criterion_group!(benches, bench_decode, bench_encode);
criterion_main!(benches);
