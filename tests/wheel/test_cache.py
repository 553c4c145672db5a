"""The credential cache boundary: hits, misses, expiry, invalidation, bounds, frozen classes."""

import threading
import time

import pytest
from odoo_mcp_native import CachedCredential, CredentialCache


def test_hit_and_miss():
    cache = CredentialCache()
    assert cache.get("secret") is None
    cache.insert("secret", 7, key_id=3, scope="res.partner:R", kind="mcp")
    hit = cache.get("secret")
    assert isinstance(hit, CachedCredential)
    assert (hit.user_id, hit.key_id, hit.scope, hit.kind, hit.expires_at) == (
        7,
        3,
        "res.partner:R",
        "mcp",
        None,
    )
    assert cache.get("Secret") is None
    assert cache.get("\udcff") is None
    assert len(cache) == 1


def test_defaults():
    cache = CredentialCache()
    assert cache.ttl_seconds == 300.0
    assert cache.max_entries == 10_000
    cache.insert("odoo-key", 2)
    hit = cache.get("odoo-key")
    assert hit is not None
    assert (hit.kind, hit.key_id, hit.scope) == ("odoo", None, None)


def test_key_expiry_without_sleeping():
    cache = CredentialCache()
    cache.insert("past", 1, expires_at=time.time() - 1)
    cache.insert("future", 1, expires_at=time.time() + 3600)
    assert cache.get("past") is None
    assert len(cache) == 1, "the expired entry was removed when found"
    hit = cache.get("future")
    assert hit is not None
    assert hit.expires_at is not None


def test_zero_ttl_caches_nothing():
    cache = CredentialCache(ttl_seconds=0)
    cache.insert("k", 1)
    assert cache.get("k") is None


def test_invalidation():
    cache = CredentialCache()
    cache.insert("a", 1, key_id=10)
    cache.insert("b", 1, key_id=11)
    cache.insert("c", 2, key_id=12)
    assert cache.invalidate_key(11) == 1
    assert cache.get("b") is None
    assert cache.invalidate_user(2) == 1
    assert cache.invalidate_user(2) == 0
    assert cache.get("a") is not None
    cache.invalidate_all()
    assert len(cache) == 0


def test_bounded():
    cache = CredentialCache(max_entries=100)
    for i in range(2000):
        cache.insert(f"secret-{i}", i)
        assert len(cache) <= 100
    assert cache.get("secret-1999") is not None


def test_bad_arguments():
    for ttl in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            CredentialCache(ttl_seconds=ttl)
    cache = CredentialCache()
    with pytest.raises(ValueError):
        cache.insert("k", 1, kind="ldap")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cache.insert("k", 1, expires_at=float("nan"))
    with pytest.raises(TypeError):
        cache.insert("k", 1, 5)  # type: ignore[misc]


def test_frozen_and_opaque():
    cache = CredentialCache()
    cache.insert("topsecret", 1, key_id=2)
    hit = cache.get("topsecret")
    assert hit is not None
    with pytest.raises(AttributeError):
        hit.user_id = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cache.ttl_seconds = 1  # type: ignore[misc]
    assert "topsecret" not in repr(hit)
    assert "topsecret" not in repr(cache)
    with pytest.raises(TypeError):
        CachedCredential()  # type: ignore[call-arg]


def test_threads():
    cache = CredentialCache(max_entries=500)
    errors = []

    def work(n):
        try:
            for i in range(1000):
                cache.insert(f"{n}-{i}", n)
                hit = cache.get(f"{n}-{i}")
                assert hit is None or hit.user_id == n
                if i % 100 == 0:
                    cache.invalidate_user(n)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(cache) <= 500 + 8


def test_oauth_kind_names_its_grant():
    cache = CredentialCache()
    cache.insert("mcpat_token", 7, key_id=42, scope="*:R", kind="oauth")
    cache.insert("mcp_key", 7, key_id=42, kind="mcp")
    token, key = cache.get("mcpat_token"), cache.get("mcp_key")
    assert token is not None and key is not None
    assert (token.kind, token.grant_id, token.key_id, token.scope) == ("oauth", 42, 42, "*:R")
    assert (key.kind, key.grant_id) == ("mcp", None)
    assert cache.get("odoo") is None
    with pytest.raises(ValueError, match="'oauth'"):
        cache.insert("x", 1, kind="token")
