//! Criterion benches of the JSON codec (`json/<op>/<case>`, throughput in bytes), beside
//! `serde_json`'s own `Value` parser and writer as the baseline.
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use odoo_mcp_core::json::{Limits, decode, encode_value};

/// The body `/mcp` answers to a `search_records` of `n` rows: envelope, structured content and
/// the same JSON as text.
fn search_records_body(n: usize) -> Vec<u8> {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":{},"name":"Partner {i} é","email":"contact{i}@example.com","phone":"+32 2 555 {i:04}","city":"Brussels","country_id":[20,"Belgium"],"parent_id":{},"is_company":{},"credit_limit":{}.5,"category_id":[1,4,9],"write_date":"2026-11-02 10:11:12","comment":"<p>line one\nline \"two\"</p>"}}"#,
                1000 + i,
                if i % 3 == 0 { "false".to_owned() } else { "[7,\"Atlas SA\"]".to_owned() },
                i % 5 == 0,
                1500 + i,
            )
        })
        .collect();
    let structured = format!(
        r#"{{"records":[{}],"total":5000,"limit":{n},"offset":0,"model":"res.partner"}}"#,
        rows.join(",")
    );
    let text = serde_json::to_string(&structured).unwrap_or_default();
    format!(
        r#"{{"jsonrpc":"2.0","id":42,"result":{{"resultType":"complete","content":[{{"type":"text","text":{text}}}],"structuredContent":{structured},"isError":false}}}}"#
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let body = search_records_body(100);
    let limits = Limits::default();
    let value = decode(&body, &limits).expect("valid JSON");
    let mut group = c.benchmark_group("json");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("decode/search_records_100", |b| {
        b.iter(|| decode(black_box(&body), &limits));
    });
    group.bench_function("decode/search_records_100_serde_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)));
    });
    group.bench_function("encode/search_records_100", |b| {
        b.iter(|| encode_value(black_box(&value)));
    });
    group.bench_function("encode/search_records_100_serde_value", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
