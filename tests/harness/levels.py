"""The test levels behind ``make test``: each prints one summary line, the last line sums them up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .odoo_env import REPO, Odoo, PgCluster, find_odoos, install_wheel, log, run_odoo

ODOO_RESULT_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
CARGO_RESULT_RE = re.compile(r"test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored")


@dataclass
class Result:
    level: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    note: str = ""
    skipped_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0 and (self.passed > 0 or self.skipped_reason is not None)

    def line(self) -> str:
        if self.skipped_reason is not None:
            return f"{self.level}: SKIPPED: {self.skipped_reason}"
        extra = f", {self.skipped} skipped" if self.skipped else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.level}: {self.passed} passed, {self.failed} failed{extra}{note}"


def venv_python() -> str:
    candidate = REPO / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def run_l0() -> Result:
    out = subprocess.run(
        ["cargo", "test", "--workspace", "--color=never"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(out.stdout[-20000:] + out.stderr[-20000:])
    res = Result("L0 cargo test")
    for _status, passed, failed, ignored in CARGO_RESULT_RE.findall(out.stdout):
        res.passed += int(passed)
        res.failed += int(failed)
        res.skipped += int(ignored)
    if out.returncode != 0 and res.failed == 0:
        res.failed = 1
        res.note = f"cargo exited {out.returncode}"
    return res


def run_pytest(level: str, path: str, extra_env: dict[str, str] | None = None) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        env = {**os.environ, **(extra_env or {})}
        out = subprocess.run(
            [venv_python(), "-m", "pytest", path, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
            cwd=REPO,
            env=env,
            check=False,
        )
        res = Result(level)
        if junit.exists():
            suites = ET.parse(junit).getroot()
            for suite in suites.iter("testsuite"):
                total = int(suite.get("tests", 0))
                fails = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
                skips = int(suite.get("skipped", 0))
                res.passed += total - fails - skips
                res.failed += fails
                res.skipped += skips
        if out.returncode not in (0, 5) and res.failed == 0:
            res.failed, res.note = 1, f"pytest exited {out.returncode}"
        return res


def run_l2(odoo: Odoo, verbose: bool = True) -> Result:
    res = Result(f"L2 {odoo.label}")
    install_wheel(odoo.python)
    db = f"mcp_l2_{odoo.label}_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="mcp-l2-") as tmp, PgCluster.from_env_or_new() as pg:
        logfile = Path(tmp) / "odoo.log"
        started = time.monotonic()
        try:
            proc = run_odoo(
                odoo,
                pg,
                db,
                Path(tmp) / "data",
                "-i",
                "mcp_server",
                "--test-enable",
                # MCP_L2_TAGS narrows the run while working on one part (Odoo's --test-tags syntax).
                f"--test-tags={os.environ.get('MCP_L2_TAGS') or '/mcp_server'}",
                "--stop-after-init",
                "--http-port",
                str(_free_port()),
                "--http-interface=127.0.0.1",
                "--log-level=info",
                log=logfile,
                timeout=3000,
            )
        finally:
            pg.drop_db(db)
        text = logfile.read_text(errors="replace")
        keep = REPO / ".work" / f"l2-{odoo.label}.log"
        keep.parent.mkdir(exist_ok=True)
        keep.write_text(text)
        if verbose:
            sys.stderr.write(_odoo_log_digest(text))
        matches = ODOO_RESULT_RE.findall(text)
        if matches:
            failed, errors, total = (int(x) for x in matches[-1])
            res.failed = failed + errors
            res.passed = total - res.failed
        if not matches or res.passed + res.failed == 0:
            res.failed = max(res.failed, 1)
            res.note = "no test ran"
        if proc.returncode != 0 and res.failed == 0:
            res.failed, res.note = 1, f"odoo-bin exited {proc.returncode}"
        res.note = (res.note + "; " if res.note else "") + f"{time.monotonic() - started:.0f}s, log in {keep}"
    return res


def _free_port() -> int:
    from .odoo_env import free_port

    return free_port()


def _odoo_log_digest(text: str) -> str:
    """The lines worth reading: failures, errors, warnings from our addon, and the result."""
    keep = []
    for line in text.splitlines():
        if (
            re.search(r"\d (ERROR|CRITICAL|WARNING) ", line)
            or "FAIL" in line
            or "Traceback" in line
            or ODOO_RESULT_RE.search(line)
            or "post-tests" in line
            or line.startswith(("  ", "\t"))
        ):
            keep.append(line)
    return "\n".join(keep[-400:]) + "\n"


def run_l3(odoo: Odoo) -> Result:
    install_wheel(odoo.python)
    return run_pytest(f"L3 {odoo.label}", "tests/e2e", extra_env=odoo.env())


def per_series(level: str, runner) -> list:
    """``(name, thunk)`` per series the harness is pointed at; a series not found is SKIPPED."""
    runs = []
    for odoo, reason in find_odoos():
        if odoo is None:
            runs.append(lambda reason=reason: Result(f"{level} {_label_of(reason)}", skipped_reason=reason))
        else:
            runs.append(lambda odoo=odoo: runner(odoo))
    return runs


def _label_of(reason: str) -> str:
    match = re.search(r"odoo(\d+)|Odoo (\d+)\.0", reason)
    return f"odoo{match.group(1) or match.group(2)}" if match else "odoo"


def run_lint() -> Result:
    res = Result("lint")
    checks = [
        ["cargo", "fmt", "--all", "--", "--check"],
        ["cargo", "clippy", "--workspace", "--all-targets", "--color=never", "--", "-D", "warnings"],
        [venv_python(), "-m", "ruff", "check", "."],
        [venv_python(), "-m", "ruff", "format", "--check", "."],
        [venv_python(), "-m", "mypy.stubtest", "odoo_mcp_native", "--ignore-missing-stub"],
        [venv_python(), "-m", "pylint", "--rcfile=.pylintrc-odoo", "mcp_server_addon/mcp_server"],
    ]
    failures = []
    for cmd in checks:
        out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
        name = " ".join(cmd[2:4]) if cmd[0] == venv_python() else " ".join(cmd[:2])
        if out.returncode == 0:
            res.passed += 1
        else:
            res.failed += 1
            failures.append(name)
            sys.stderr.write(f"--- {name} failed:\n{out.stdout[-6000:]}{out.stderr[-6000:]}\n")
    res.note = ("failed: " + ", ".join(failures)) if failures else ""
    return res


def main_l2(_argv: list[str]) -> int:
    ok = True
    for run in per_series("L2", run_l2):
        res = run()
        print(res.line(), flush=True)
        ok = ok and res.ok
    return 0 if ok else 1


def main_screenshots(_argv: list[str]) -> int:
    """Refresh the Apps page's screenshots from the MCP app's tours on the newest series found."""
    odoos = [odoo for odoo, _reason in find_odoos() if odoo is not None]
    if not odoos:
        print("SKIPPED: no Odoo found")
        return 1
    folder = REPO / "mcp_server_addon" / "mcp_server" / "static" / "description"
    os.environ["MCP_SCREENSHOTS"] = str(folder)
    os.environ["MCP_L2_TAGS"] = "/mcp_server:TestAdminAppUi"
    res = run_l2(max(odoos, key=lambda odoo: odoo.serie), verbose=False)
    print(res.line(), flush=True)
    return 0 if res.ok else 1


POT_SCRIPT = """
import io
from odoo.tools import translate
buffer = io.BytesIO()
reader = translate.TranslationModuleReader(env.cr, modules=['mcp_server'], lang=None)
translate.TranslationFileWriter(buffer, fileformat='po', lang=None).write_rows(reader)
print('POT-BEGIN')
print(buffer.getvalue().decode())
"""


def main_pot(_argv: list[str]) -> int:
    """Write ``i18n/mcp_server.pot``, the addon's translatable terms, from a fresh database."""
    from .odoo_env import odoo_shell

    odoos = [odoo for odoo, _reason in find_odoos() if odoo is not None]
    if not odoos:
        print("SKIPPED: no Odoo found")
        return 1
    odoo = max(odoos, key=lambda found: found.serie)
    install_wheel(odoo.python)
    db = f"mcp_pot_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="mcp-pot-") as tmp, PgCluster.from_env_or_new() as pg:
        data = Path(tmp) / "data"
        try:
            done = run_odoo(odoo, pg, db, data, "-i", "mcp_server", "--stop-after-init", "--no-http")
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:])
                return 1
            out = odoo_shell(odoo, pg, db, data, POT_SCRIPT)
        finally:
            pg.drop_db(db)
    pot = REPO / "mcp_server_addon" / "mcp_server" / "i18n" / "mcp_server.pot"
    pot.parent.mkdir(exist_ok=True)
    pot.write_text(out.split("POT-BEGIN\n", 1)[1].rstrip() + "\n")
    print(f"wrote {pot.relative_to(REPO)}")
    return 0


def main_test(argv: list[str]) -> int:
    wanted = set(argv) or {"lint", "l0", "l1", "l2", "l3"}
    runners = [
        ("lint", run_lint),
        ("l0", run_l0),
        ("l1", lambda: run_pytest("L1 pytest (wheel)", "tests/wheel")),
        *(("l2", run) for run in per_series("L2", run_l2)),
        *(("l3", run) for run in per_series("L3", run_l3)),
    ]
    results = []
    for name, runner in runners:
        if name in wanted:
            log(f"==> {name}")
            res = runner()
            results.append(res)
            print(res.line(), flush=True)
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(1 for r in results if r.skipped_reason is not None)
    print(
        f"total: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True
    )
    return 0 if all(r.ok for r in results) else 1
