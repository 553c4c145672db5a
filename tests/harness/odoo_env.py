"""Find Odoo, run a throwaway PostgreSQL cluster, and start Odoo servers and commands."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS = REPO / "mcp_server_addon"
DEFAULT_ODOO_ROOT = Path("/opt/odoo19")
#: The series this addon supports, each with where it is looked for when ``ODOO_BIN`` is not set.
SUPPORTED_SERIES = {"19.0": Path("/opt/odoo19"), "18.0": Path("/opt/odoo18")}
DB_USER = "odoo"


@dataclass(frozen=True)
class Odoo:
    bin: Path
    python: Path
    serie: str = "19.0"

    @property
    def label(self) -> str:
        """``odoo19``, ``odoo18``: how summary lines name the series."""
        return "odoo" + self.serie.split(".")[0]

    def env(self) -> dict[str, str]:
        """``ODOO_BIN``/``ODOO_PYTHON`` naming this Odoo, for a child process (L3, benches)."""
        return {"ODOO_BIN": str(self.bin), "ODOO_PYTHON": str(self.python)}

    @property
    def server_wide_modules(self) -> str:
        """Odoo's default ``--load`` (19.0 added the ``rpc`` addon to it)."""
        return "base,web" if self.serie == "18.0" else "base,rpc,web"

    @property
    def root(self) -> Path:
        return self.bin.resolve().parent

    @property
    def addons_path(self) -> str:
        paths = [self.root / "addons", self.root / "odoo" / "addons", ADDONS]
        return ",".join(str(p) for p in paths if p.is_dir())

    def version(self) -> str:
        out = subprocess.run(
            [str(self.python), str(self.bin), "--version"], capture_output=True, text=True, check=False
        )
        return (out.stdout or out.stderr).strip()


def find_odoo() -> tuple[Odoo | None, str]:
    """The Odoo to test against (``ODOO_BIN``/``ODOO_PYTHON``, else the first default found), or
    ``None`` with the reason, said plainly."""
    found = find_odoos()
    for odoo, reason in found:
        if odoo is not None:
            return odoo, reason
    return None, "; ".join(reason for _odoo, reason in found)


#: The series the harness runs when ``ODOO_BIN`` is not set (``MCP_TEST_SERIES`` overrides).
DEFAULT_TEST_SERIES = ",".join(SUPPORTED_SERIES)


def find_odoos() -> list[tuple[Odoo | None, str]]:
    """Every Odoo the harness is pointed at: the one ``ODOO_BIN``/``ODOO_PYTHON`` name, or else each
    supported series at its default place. A series not found is ``(None, reason)``."""
    env_bin = os.environ.get("ODOO_BIN")
    if env_bin:
        return [_probe(Path(env_bin), os.environ.get("ODOO_PYTHON"), "ODOO_BIN")]
    selected = os.environ.get("MCP_TEST_SERIES", DEFAULT_TEST_SERIES).replace(" ", "").split(",")
    return [
        _probe(root / "odoo-bin", None, f"the default for {serie}", expect=serie)
        if serie in selected
        else (
            None,
            f"Odoo {serie} is not in MCP_TEST_SERIES ({','.join(selected)})",
        )
        for serie, root in SUPPORTED_SERIES.items()
    ]


def _probe(odoo_bin: Path, env_python: str | None, where: str, expect: str | None = None):
    if env_python:
        python = Path(env_python)
    else:
        python = odoo_bin.resolve().parent / ".venv" / "bin" / "python" if odoo_bin.exists() else None
    if not odoo_bin.is_file():
        return None, (
            f"no odoo-bin at {odoo_bin} ({where}); point ODOO_BIN at an Odoo "
            f"{' or '.join(SUPPORTED_SERIES)} odoo-bin and ODOO_PYTHON at the Python that runs it"
        )
    if python is None or not python.exists():
        return None, (
            f"odoo-bin found at {odoo_bin} but no Python to run it at {python} "
            "(set ODOO_PYTHON to the interpreter of Odoo's virtualenv)"
        )
    check = subprocess.run(
        [
            str(python),
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import odoo.release as r; print(r.serie)",
            str(odoo_bin.resolve().parent),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    serie = check.stdout.strip()
    if check.returncode != 0:
        return (
            None,
            f"{python} cannot import Odoo from {odoo_bin.parent}: {check.stderr.strip().splitlines()[-1:]}",
        )
    if serie not in SUPPORTED_SERIES or (expect and serie != expect):
        wanted = expect or " or ".join(SUPPORTED_SERIES)
        return None, f"Odoo at {odoo_bin.parent} is {serie!r}, expected {wanted}"
    return Odoo(odoo_bin, python, serie), f"Odoo {serie} at {odoo_bin.parent} run by {python}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wheel_path() -> Path:
    wheels = sorted((REPO / "dist").glob("odoo_mcp_native-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise SystemExit("no wheel in dist/: run `make wheel` first")
    return wheels[-1]


def install_wheel(python: Path) -> None:
    """Install the freshly built wheel into the Python that runs Odoo."""
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheel_path())],
        check=True,
    )


def _as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, **kw)


@dataclass
class PgCluster:
    """A PostgreSQL cluster on loopback, or the one ``PGHOST``/``PGPORT`` name."""

    base: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    user: str = DB_USER
    external: bool = False
    _owned_dir: bool = field(default=False, repr=False)

    @classmethod
    def from_env_or_new(cls, base: Path | None = None) -> PgCluster:
        if os.environ.get("PGHOST") or os.environ.get("PGPORT"):
            return cls(
                host=os.environ.get("PGHOST", "127.0.0.1"),
                port=int(os.environ.get("PGPORT", "5432")),
                user=os.environ.get("PGUSER", DB_USER),
                external=True,
            )
        return cls(base=base)

    @property
    def data_dir(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    def start(self) -> PgCluster:
        if self.external:
            return self
        for tool in ("initdb", "pg_ctl"):
            if not shutil.which(tool):
                raise SystemExit(f"PostgreSQL's {tool} is not on PATH (install postgresql-15)")
        if self.base is None:
            self.base = Path(tempfile.mkdtemp(prefix="mcp-pg-"))
            self._owned_dir = True
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self.base.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            _as_postgres(
                [
                    "initdb",
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                stdout=subprocess.DEVNULL,
            )
        port_file = self.base / "port"
        self.port = int(port_file.read_text()) if port_file.exists() else free_port()
        opts = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _as_postgres(
            [
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-o",
                opts,
                "-l",
                str(self.base / "postgres.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            stdout=subprocess.DEVNULL,
        )
        if os.geteuid() == 0:
            port_file.write_text(str(self.port))
            shutil.chown(port_file, "postgres", "postgres")
        else:
            port_file.write_text(str(self.port))
        self.psql(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{self.user}') "
            f"THEN CREATE ROLE {self.user} LOGIN SUPERUSER; END IF; END$$;",
            user="postgres",
        )
        return self

    def psql(self, sql: str, db: str = "postgres", user: str | None = None) -> str:
        out = subprocess.run(
            [
                "psql",
                "-X",
                "-q",
                "-A",
                "-t",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                user or self.user,
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def drop_db(self, name: str) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.external or self.base is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                _as_postgres(
                    ["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                    stdout=subprocess.DEVNULL,
                )
        if self._owned_dir:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def odoo_args(odoo: Odoo, pg: PgCluster, db: str, data_dir: Path, db_filter: str | None = None) -> list[str]:
    """The command line of Odoo on ``db``; ``db_filter`` (default: ``db`` alone) for several."""
    return [
        str(odoo.python),
        str(odoo.bin),
        f"--addons-path={odoo.addons_path}",
        f"--db_host={pg.host}",
        f"--db_port={pg.port}",
        f"--db_user={pg.user}",
        "--db_password=odoo",
        f"--data-dir={data_dir}",
        "-d",
        db,
        f"--db-filter={db_filter or f'^{db}$'}",
        "--no-database-list",
    ]


def odoo_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_odoo(
    odoo: Odoo,
    pg: PgCluster,
    db: str,
    data_dir: Path,
    *extra: str,
    log: Path | None = None,
    timeout: float = 1800,
) -> subprocess.CompletedProcess:
    cmd = [*odoo_args(odoo, pg, db, data_dir), *extra]
    if log is None:
        return subprocess.run(
            cmd, env=odoo_env(), check=False, timeout=timeout, capture_output=True, text=True
        )
    with log.open("w") as fh:
        return subprocess.run(
            cmd, env=odoo_env(), check=False, timeout=timeout, stdout=fh, stderr=subprocess.STDOUT
        )


def odoo_shell(odoo: Odoo, pg: PgCluster, db: str, data_dir: Path, script: str, timeout: float = 600) -> str:
    """Run ``script`` in ``odoo-bin shell`` (committed at the end) and return what it printed."""
    cmd = [
        *odoo_args(odoo, pg, db, data_dir)[:2],
        "shell",
        *odoo_args(odoo, pg, db, data_dir)[2:],
        "--no-http",
        "--log-level=warn",
    ]
    full = script + "\nenv.cr.commit()\n"
    out = subprocess.run(
        cmd, input=full, env=odoo_env(), capture_output=True, text=True, check=False, timeout=timeout
    )
    if out.returncode != 0:
        raise RuntimeError(f"odoo shell failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return out.stdout


@dataclass
class OdooServer:
    """A running Odoo HTTP server on loopback."""

    odoo: Odoo
    pg: PgCluster
    db: str
    data_dir: Path
    workers: int = 0
    port: int = 0
    log: Path | None = None
    extra: tuple[str, ...] = ()
    db_filter: str | None = None  # several databases on one server: e.g. "^(a|b)$"
    preload: bool = True  # False: no ``-d``, no registry is loaded before the first request
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> OdooServer:
        self.port = self.port or free_port()
        base = odoo_args(self.odoo, self.pg, self.db, self.data_dir, self.db_filter)
        if not self.preload:
            at = base.index("-d")
            del base[at : at + 2]
        args = [
            *base,
            f"--http-port={self.port}",
            "--http-interface=127.0.0.1",
            f"--workers={self.workers}",
            f"--gevent-port={free_port()}",
            "--max-cron-threads=0",
            *self.extra,
        ]
        self.log = self.log or self.data_dir / f"odoo-{self.port}.log"
        fh = self.log.open("w")
        self.proc = subprocess.Popen(
            args, env=odoo_env(), stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        # Odoo answers HTTP while it still loads the registry of ``-d``; the server is ready once
        # the addon answers for that database (200, or 503 while MCP is switched off). On 18.0 this
        # is also when the header is honoured: the addon's import is what makes Odoo read it.
        ready = f"{self.url}/mcp/health" if self.preload else f"{self.url}/web/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"Odoo exited ({self.proc.returncode}); see {self.log}:\n" + self.log.read_text()[-3000:]
                )
            if _answers(ready, self.db):
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Odoo did not answer within {timeout}s; see {self.log}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)

    def __enter__(self) -> OdooServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _answers(url: str, db: str) -> bool:
    """Whether ``url`` answers for ``db`` (a 503 of a switched-off MCP counts as an answer)."""
    try:
        req = urllib.request.Request(url, headers={"X-Odoo-Database": db})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status == 200
    except urllib.error.HTTPError as exc:
        return exc.code == 503
    except OSError:
        return False


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
