"""The hand-written stub matches the extension module (``python -m mypy.stubtest``)."""

import subprocess
import sys

import pytest


def test_stubtest():
    pytest.importorskip("mypy")
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "odoo_mcp_native"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_package_surface():
    import odoo_mcp_native
    from odoo_mcp_native import keys

    for name in (
        "RateLimiter",
        "SharedLimiter",
        "PermissionMatrix",
        "Scope",
        "CredentialCache",
        "CachedCredential",
        "KeyPolicy",
        "keys",
    ):
        assert hasattr(odoo_mcp_native, name), name
    for name in ("generate", "index", "hash", "verify", "needs_rehash", "KeyPolicy"):
        assert callable(getattr(keys, name)), name
