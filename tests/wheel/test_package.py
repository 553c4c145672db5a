"""The wheel as a package: version, layout, and import-time behaviour."""

import re
import subprocess
import sys
from pathlib import Path

import odoo_mcp_native

REPO = Path(__file__).resolve().parents[2]


def test_version_matches_the_workspace():
    workspace = (REPO / "Cargo.toml").read_text().split("[workspace.package]", 1)[1]
    version = re.search(r'^version = "([^"]+)"', workspace, re.MULTILINE).group(1)
    assert odoo_mcp_native.__version__ == version
    assert re.fullmatch(r"\d+\.\d+\.\d+", odoo_mcp_native.__version__)


def test_typed_package():
    package = Path(odoo_mcp_native.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_native.pyi").exists()


def test_import_starts_no_thread():
    """Odoo's prefork master imports addons before it forks: importing must not start threads."""
    code = (
        "import os\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "import odoo_mcp_native, odoo_mcp_native.xmlrpc, odoo_mcp_native.keys\n"
        "after = len(os.listdir('/proc/self/task'))\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = map(int, out.stdout.split())
    assert after == before


def test_exceptions_subclass_builtins():
    assert issubclass(odoo_mcp_native._native.XmlRpcDecodeError, ValueError)
    assert issubclass(odoo_mcp_native._native.XmlRpcEncodeError, TypeError)
    assert issubclass(odoo_mcp_native._native.KeyFormatError, ValueError)
    assert issubclass(odoo_mcp_native._native.ScopeError, ValueError)
