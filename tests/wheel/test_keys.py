"""The keys boundary: formats, argon2id round trips, exception types, GIL release."""

import re
import threading
import time

import odoo_mcp_native
import pytest
from odoo_mcp_native import KeyFormatError, KeyPolicy, keys

CHEAP = KeyPolicy(m_cost_kib=64, t_cost=1, p_cost=1)
KEY_RE = re.compile(r"^mcp_[a-z2-7]{40}$")


def test_generate_format_and_uniqueness():
    generated = {keys.generate() for _ in range(200)}
    assert len(generated) == 200
    assert all(KEY_RE.match(k) for k in generated)


def test_index_is_first_eight_after_prefix():
    key = keys.generate()
    assert keys.index(key) == key[4:12]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "mcp_",
        "0123456789abcdef0123456789abcdef01234567",  # an Odoo API key
        "mcp_" + "A" * 40,
        "mcp_" + "a" * 39,
        "mcp_" + "a" * 41,
        "mcp_" + "1" * 40,
        " mcp_" + "a" * 40,
        "mcp_" + "a" * 39 + "\n",
    ],
)
def test_index_refuses_bad_formats(bad):
    with pytest.raises(KeyFormatError) as info:
        keys.index(bad)
    assert isinstance(info.value, ValueError)


def test_exception_classes_are_value_errors():
    assert issubclass(KeyFormatError, ValueError)
    assert keys.KeyFormatError is odoo_mcp_native.KeyFormatError


def test_hash_verify_round_trip():
    key, other = keys.generate(), keys.generate()
    phc = keys.hash(key, CHEAP)
    assert phc.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert key not in phc
    assert keys.verify(key, phc) is True
    assert keys.verify(other, phc) is False
    assert keys.verify("garbage", phc) is False
    assert keys.verify("\udcff", phc) is False  # undecodable: a wrong key, not an exception


def test_default_policy_is_recorded():
    assert KeyPolicy() == KeyPolicy(19456, 2, 1)
    key = keys.generate()
    phc = keys.hash(key)
    assert phc.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert keys.needs_rehash(phc) is False
    assert keys.needs_rehash(phc, policy=CHEAP) is True


def test_needs_rehash():
    phc = keys.hash(keys.generate(), policy=CHEAP)
    assert keys.needs_rehash(phc, policy=CHEAP) is False
    assert keys.needs_rehash(phc) is True
    assert keys.needs_rehash(phc, policy=KeyPolicy(64, 2, 1)) is True


@pytest.mark.parametrize(
    "stored",
    ["", "nope", "$pbkdf2-sha512$6000$c2FsdA$aGFzaA", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ"],
)
def test_malformed_stored_hash_raises(stored):
    with pytest.raises(KeyFormatError):
        keys.verify(keys.generate(), stored)
    with pytest.raises(KeyFormatError):
        keys.needs_rehash(stored)


def test_hash_refuses_malformed_key():
    with pytest.raises(KeyFormatError):
        keys.hash("mcp_short", CHEAP)


def test_policy_is_validated_and_frozen():
    with pytest.raises(ValueError):
        KeyPolicy(m_cost_kib=4)
    with pytest.raises(ValueError):
        KeyPolicy(t_cost=0)
    policy = KeyPolicy(64, 1, 1)
    with pytest.raises(AttributeError):
        policy.t_cost = 5  # type: ignore[misc]
    assert (policy.m_cost_kib, policy.t_cost, policy.p_cost) == (64, 1, 1)
    assert hash(policy) == hash(KeyPolicy(64, 1, 1))
    assert repr(policy) == "KeyPolicy(m_cost_kib=64, t_cost=1, p_cost=1)"


def test_interoperates_with_libargon2():
    argon2 = pytest.importorskip("argon2")
    hasher = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    key = keys.generate()
    theirs = hasher.hash(key)
    assert keys.verify(key, theirs) is True
    assert keys.verify(keys.generate(), theirs) is False
    ours = keys.hash(key, CHEAP)
    assert hasher.verify(ours, key) is True


def test_verify_releases_the_gil():
    key = keys.generate()
    phc = keys.hash(key)  # default parameters: tens of milliseconds of argon2
    counter = 0
    running = threading.Event()
    stop = threading.Event()

    def count():
        nonlocal counter
        running.set()
        while not stop.is_set():
            counter += 1

    thread = threading.Thread(target=count)
    thread.start()
    try:
        running.wait()
        time.sleep(0.01)
        before = counter
        started = time.perf_counter()
        assert keys.verify(key, phc) is True
        elapsed = time.perf_counter() - started
        during = counter - before
    finally:
        stop.set()
        thread.join()
    # Holding the GIL for the whole verification would leave the counter where it was.
    assert elapsed > 0.005
    assert during > 1000, f"counter moved {during} times in {elapsed * 1000:.1f} ms"


def test_hash_releases_the_gil():
    counter = 0
    stop = threading.Event()

    def count():
        nonlocal counter
        while not stop.is_set():
            counter += 1

    thread = threading.Thread(target=count)
    thread.start()
    try:
        time.sleep(0.01)
        before = counter
        keys.hash(keys.generate())
        during = counter - before
    finally:
        stop.set()
        thread.join()
    assert during > 1000
