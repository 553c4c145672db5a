//! Criterion benches of the core's hot paths: key verification, rate limiting, permission
//! decisions and the verified-credential cache. Groups are named `area/op/case`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use odoo_mcp_core::cache::{Credential, CredentialCache, CredentialKind};
use odoo_mcp_core::keys::{self, KeyPolicy};
use odoo_mcp_core::perms::{PermissionMatrix, Rights, Scope};
use odoo_mcp_core::ratelimit::RateLimiter;
use std::hint::black_box;
use std::time::Duration;

fn bench_keys(c: &mut Criterion) {
    let key = keys::generate().unwrap();
    let wrong = keys::generate().unwrap();
    let phc = keys::hash(&key, &KeyPolicy::default()).unwrap();

    let mut g = c.benchmark_group("keys/verify");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("argon2id_default", |b| {
        b.iter(|| keys::verify(black_box(&key), black_box(&phc)).unwrap());
    });
    g.bench_function("argon2id_default_wrong_key", |b| {
        b.iter(|| keys::verify(black_box(&wrong), black_box(&phc)).unwrap());
    });
    g.finish();

    let mut g = c.benchmark_group("keys/index");
    g.bench_function("valid", |b| {
        b.iter(|| keys::index(black_box(&key)).unwrap());
    });
    g.finish();

    let mut g = c.benchmark_group("keys/generate");
    g.bench_function("os_rng", |b| {
        b.iter(|| keys::generate().unwrap());
    });
    g.finish();
}

fn bench_ratelimit(c: &mut Criterion) {
    let mut g = c.benchmark_group("ratelimit/check");
    let roomy = RateLimiter::new(u32::MAX, 100_000).unwrap();
    g.bench_function("hit", |b| {
        b.iter(|| roomy.check(black_box("u:42")));
    });
    let tight = RateLimiter::new(1, 100_000).unwrap();
    tight.check("u:42");
    g.bench_function("refused", |b| {
        b.iter(|| tight.check(black_box("u:42")));
    });
    let unlimited = RateLimiter::new(0, 100_000).unwrap();
    g.bench_function("unlimited", |b| {
        b.iter(|| unlimited.check(black_box("u:42")));
    });
    let many = RateLimiter::new(u32::MAX, 100_000).unwrap();
    let names: Vec<String> = (0..50_000).map(|i| format!("u:{i}")).collect();
    for n in &names {
        many.check(n);
    }
    let mut i = 0usize;
    g.bench_function("hit_50k_keys", |b| {
        b.iter(|| {
            i = (i + 7919) % names.len();
            many.check(black_box(&names[i]))
        });
    });
    g.finish();
}

fn matrix() -> PermissionMatrix {
    let mut rows: Vec<(String, Rights)> = (0..200)
        .map(|i| {
            (
                format!("x_model_{i}.line"),
                Rights::from_flags((true, i % 2 == 0, false, false)),
            )
        })
        .collect();
    rows.push((
        "res.partner".into(),
        Rights::from_flags((true, true, true, false)),
    ));
    rows.push((
        "sale.order".into(),
        Rights::from_flags((true, false, false, false)),
    ));
    PermissionMatrix::new(rows, 1).unwrap()
}

fn bench_perms(c: &mut Criterion) {
    let m = matrix();
    let scope = Scope::parse("res.partner:RW,sale.order:R,*:R").unwrap();
    let mut g = c.benchmark_group("perms/decide");
    g.bench_function("allowed", |b| {
        b.iter(|| m.decide(black_box("res.partner"), black_box("search_read"), None));
    });
    g.bench_function("allowed_scoped", |b| {
        b.iter(|| m.decide(black_box("res.partner"), black_box("write"), Some(&scope)));
    });
    g.bench_function("model_not_enabled", |b| {
        b.iter(|| m.decide(black_box("stock.move"), black_box("read"), None));
    });
    g.bench_function("operation_denied", |b| {
        b.iter(|| m.decide(black_box("sale.order"), black_box("unlink"), None));
    });
    g.finish();
    let mut g = c.benchmark_group("perms/scope");
    g.bench_function("parse", |b| {
        b.iter(|| Scope::parse(black_box("res.partner:RWCD,sale.order:R,*:R")).unwrap());
    });
    g.finish();
}

fn bench_cache(c: &mut Criterion) {
    let cache = CredentialCache::new(300.0, 10_000).unwrap();
    let secret = keys::generate().unwrap();
    for i in 0..5_000 {
        cache
            .insert(
                format!("filler-{i}").as_bytes(),
                Credential {
                    user_id: i,
                    key_id: None,
                    scope: None,
                    kind: CredentialKind::Odoo,
                    expires_at: None,
                },
            )
            .unwrap();
    }
    cache
        .insert(
            secret.as_bytes(),
            Credential {
                user_id: 2,
                key_id: Some(9),
                scope: Some("res.partner:R".into()),
                kind: CredentialKind::Mcp,
                expires_at: None,
            },
        )
        .unwrap();
    let mut g = c.benchmark_group("cache/get");
    g.bench_function("warm", |b| {
        b.iter(|| cache.get(black_box(secret.as_bytes())));
    });
    g.bench_function("miss", |b| {
        b.iter(|| cache.get(black_box(b"mcp_unknown")));
    });
    g.finish();
    let mut g = c.benchmark_group("cache/insert");
    let size = 1_000usize;
    {
        let full = CredentialCache::new(300.0, size).unwrap();
        let mut n = 0u64;
        g.bench_with_input(BenchmarkId::new("full", size), &size, |b, _| {
            b.iter(|| {
                n += 1;
                full.insert(
                    &n.to_le_bytes(),
                    Credential {
                        user_id: 1,
                        key_id: None,
                        scope: None,
                        kind: CredentialKind::Odoo,
                        expires_at: None,
                    },
                )
                .unwrap();
            });
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_keys,
    bench_ratelimit,
    bench_perms,
    bench_cache
);
criterion_main!(benches);
