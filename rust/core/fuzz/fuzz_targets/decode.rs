//! Fuzz the XML-RPC decoder: it must never panic, and whatever it accepts must survive
//! encode -> decode unchanged when Odoo's encoder can write it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use odoo_mcp_core::xmlrpc::{Limits, Value, decode, decode_with_limits, encode_response, paths};

fn encodable(v: &Value) -> bool {
    match v {
        Value::Int(i) => i32::try_from(*i).is_ok(),
        Value::Nil | Value::Decimal(_) | Value::DateTime(_) => false,
        Value::String(s) => !s.chars().any(|c| (c as u32) < 32 && !matches!(c, '\t' | '\n')),
        Value::Array(items) => items.iter().all(encodable),
        Value::Struct(members) => members
            .iter()
            .all(|(k, v)| !k.chars().any(|c| (c as u32) < 32 && !matches!(c, '\t' | '\n')) && encodable(v)),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let small = Limits { max_body_bytes: 4096, max_depth: 8 };
    let _ = decode_with_limits(data, &small);
    // Whenever the fast path answers, quick-xml's general path answers the same.
    for limits in [small, Limits::default()] {
        if let Some(fast) = paths::fast(data, &limits) {
            let general = paths::general(data, &limits);
            match (&fast, &general) {
                (Ok(a), Ok(b)) => assert!(
                    a.method_name == b.method_name
                        && a.params.len() == b.params.len()
                        && a.params.iter().zip(&b.params).all(|(x, y)| x.same_as(y)),
                    "paths disagree: {a:?} != {b:?}"
                ),
                (Err(a), Err(b)) => assert_eq!(a, b),
                _ => panic!("fast {fast:?} but general {general:?}"),
            }
        }
    }
    if let Ok(call) = decode(data) {
        for value in call.params.iter().filter(|v| encodable(v)) {
            let bytes = encode_response(value).expect("encodable value");
            let back = decode(&bytes).expect("our own output decodes");
            assert!(back.params.len() == 1 && back.params[0].same_as(value), "round trip changed {value:?}");
        }
    }
});
