"""The rate-limit state every worker and host shares: one row per key in PostgreSQL.

Table ``mcp_rate_state(key, tat, seen, allowed)`` is ``UNLOGGED`` (no WAL; after a crash it comes
back empty, which only hands every caller a fresh burst). One check is one atomic
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the key's row: PostgreSQL's row lock
serialises concurrent checks of one key, whatever worker or host sends them, so the limit is the
one limit of the whole deployment. The statement applies the GCRA update whose parameters (``t``,
``tau``) and reading (the decision and ``Retry-After``) come from the native core
(``odoo_mcp_native.SharedLimiter``); the clock is the database's, so hosts need not agree on time.

The statement runs on a connection of its own per worker and database, in autocommit: one round
trip, no ``BEGIN``/``COMMIT``, and nothing the request does afterwards (a rollback, a retried
serialisation failure) takes the count back. A savepoint in the request's transaction would be
rolled back with it; committing the request's own transaction at that point would commit whatever
the surface had done before asking, and cannot be done in a read-only or test transaction.

Bounded: a row whose ``tat`` is not after ``now`` decides exactly as no row, so such rows are
deleted (every ``GC_EVERY_INSERTS`` new rows a worker creates, and by the cron); rows of the
audit-log throttle per address (``ip:``), the only keys a stranger chooses, are capped at
``MAX_ADDRESS_ROWS``, dropping those closest to a full refill first. User and key rows are never
evicted (that would hand out allowance): there are at most as many as users and keys.
"""

import logging
import os
import threading
import time

import psycopg2
import psycopg2.errors
from odoo import api, models
from odoo.sql_db import connection_info_for
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

TABLE = "mcp_rate_state"
#: A worker cleans the table after creating this many rows.
GC_EVERY_INSERTS = 1_000
#: Rows of the audit-log throttle kept at most (one per address).
MAX_ADDRESS_ROWS = 100_000
ADDRESS_PREFIX = "ip:"
#: How long a check may wait for the store before the request is refused (milliseconds).
STATEMENT_TIMEOUT_MS = 2_000
#: Seconds between two warnings of a worker that the store is unavailable (one per request would
#: flood the server log exactly when it matters).
WARN_INTERVAL = 10.0

#: The database's clock in nanoseconds (``extract`` is exact numeric from PostgreSQL 14 on).
DB_NOW = "(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint"


class StoreUnavailable(Exception):
    """The shared store cannot be reached or did not answer in time."""


def _upsert(n):
    """One statement checking ``n`` keys in order; key ``i`` is counted only if every key before
    it passed. Rows: ``(i, allowed, tat, seen, inserted)``."""
    ctes = [f"c AS (SELECT COALESCE(%s::bigint, {DB_NOW}) AS now, true AS allowed)"]
    source = "c"
    for i in range(1, n + 1):
        ctes.append(
            f"""r{i} AS (
                INSERT INTO {TABLE} AS s (key, tat, seen, allowed)
                SELECT %s, p.{"now" if i == 1 else "seen"} + %s, p.{"now" if i == 1 else "seen"}, true
                  FROM {source} p WHERE p.allowed
                ON CONFLICT (key) DO UPDATE SET
                    allowed = s.tat - %s <= excluded.seen,
                    tat = CASE WHEN s.tat - %s <= excluded.seen
                               THEN GREATEST(s.tat, excluded.seen) + %s ELSE s.tat END,
                    seen = excluded.seen
                RETURNING allowed, tat, seen, xmax = 0 AS inserted)"""
        )
        source = f"r{i}"
    selects = " UNION ALL ".join(
        f"SELECT {i}, allowed, tat, seen, inserted FROM r{i}" for i in range(1, n + 1)
    )
    return f"WITH {', '.join(ctes)} {selects} ORDER BY 1"


def _numbered(query):
    """``query`` with ``$1, $2, ...`` for its ``%s`` (the form ``PREPARE`` takes)."""
    parts = query.split("%s")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))


UPSERTS = {n: _upsert(n) for n in (1, 2)}
#: The same statements prepared once per connection: the check then skips parsing and planning.
PREPARED = {n: f"mcp_rate_check_{n}" for n in UPSERTS}
#: What a new connection runs first: bounded waits, then the prepared checks.
SESSION_SETUP = [
    f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}",
    f"SET lock_timeout = {STATEMENT_TIMEOUT_MS}",
    *(f"PREPARE {name} AS {_numbered(UPSERTS[n])}" for n, name in PREPARED.items()),
]


class RateStore:
    """The autocommit connection of one worker to one database, opened on first use (after the
    prefork master has forked), reopened after a failure, shared by the threads of a process
    under a lock."""

    def __init__(self, dbname):
        self.dbname = dbname
        self._lock = threading.Lock()
        self._cnx = None
        self._pid = None
        self._prepared = False
        self.inserted = 0
        self._warned_at = None
        #: Statements sent, for benchmarks (the store's connection is not the request's cursor).
        self.statements = 0

    def _connection(self):
        if self._cnx is not None and (self._cnx.closed or self._pid != os.getpid()):
            self._cnx = None  # never reuse a socket inherited from another process
        if self._cnx is None:
            _dbname, info = connection_info_for(self.dbname)
            name = f"{info.get('application_name') or 'odoo'}"[:50] + "-mcp-rate"
            cnx = psycopg2.connect(**{**info, "application_name": name, "connect_timeout": 2})
            cnx.autocommit = True
            with cnx.cursor() as cr:
                for statement in SESSION_SETUP:
                    cr.execute(statement)
            self._cnx, self._pid, self._prepared = cnx, os.getpid(), True
        return self._cnx

    def execute(self, query, params=()):
        """Rows of ``query`` run in autocommit, or :class:`StoreUnavailable`."""
        with self._lock:
            for attempt in (1, 2):
                reused = self._cnx is not None
                try:
                    with self._connection().cursor() as cr:
                        self.statements += 1
                        cr.execute(query, params)
                        return cr.fetchall() if cr.description else []
                except psycopg2.errors.InvalidSqlStatementName as exc:
                    # A pooler between us and PostgreSQL lost the prepared statements: go on
                    # without them.
                    if not self._prepared:
                        raise StoreUnavailable(str(exc).strip()) from exc
                    self._prepared = False
                    query, params = self._plain(query, params)
                except psycopg2.Error as exc:
                    lost = self._cnx is not None and self._cnx.closed
                    self.close()
                    # A connection that died while idle (a restart, an idle timeout) is opened
                    # again once; anything else is the store being unavailable.
                    if not (attempt == 1 and reused and lost):
                        self._warn(exc)
                        raise StoreUnavailable(str(exc).strip()) from exc
        raise StoreUnavailable("no connection")  # not reached: the loop returns or raises

    def _warn(self, exc):
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_INTERVAL:
            self._warned_at = now
            _logger.warning(
                "MCP: the shared rate-limit state of %s is unavailable (rate-limited requests get 503, "
                "failed-authentication audit rows are skipped): %s",
                self.dbname,
                str(exc).strip(),
            )

    def _plain(self, query, params):
        for n, name in PREPARED.items():
            if query.startswith(f"EXECUTE {name} "):
                return UPSERTS[n], params
        return query, params

    def _check_statement(self, n):
        if self._prepared or self._cnx is None:
            return f"EXECUTE {PREPARED[n]} ({', '.join(['%s'] * (1 + 5 * n))})"
        return UPSERTS[n]

    def close(self):
        cnx, self._cnx = self._cnx, None
        if cnx is not None and self._pid == os.getpid():
            try:
                cnx.close()
            except psycopg2.Error as exc:
                _logger.debug("MCP: closing the rate-limit connection failed: %s", exc)

    def check(self, checks, now_ns=None):
        """Count one request for each ``(key, limiter)`` in order, stopping at the first refusal.
        Returns ``None`` when all passed, else the refusal's retry-after in seconds."""
        asked = time.monotonic_ns()
        for key, limiter in checks:
            retry = limiter.refused(key, asked)
            if retry is not None:
                return retry  # refused until then, whatever the store would say: exact
        params = [now_ns]
        for key, limiter in checks:
            t, tau = limiter.interval_ns, limiter.tolerance_ns
            params += [key, t, tau, tau, t]
        rows = self.execute(self._check_statement(len(checks)), params)
        for (_i, allowed, tat, seen, inserted), (key, limiter) in zip(rows, checks, strict=False):
            self.inserted += bool(inserted)
            retry = limiter.outcome(key, allowed, tat, seen, asked)
            if retry is not None:
                return retry
        if self.inserted >= GC_EVERY_INSERTS:
            self.inserted = 0
            self.gc()
        return None

    def gc(self, now_ns=None, max_address_rows=MAX_ADDRESS_ROWS):
        """Delete the rows that decide as no row; cap the per-address rows. ``(deleted, rows)``."""
        deleted = self.execute(
            f"""
            WITH idle AS (
                DELETE FROM {TABLE} WHERE tat <= COALESCE(%s::bigint, {DB_NOW}) RETURNING 1
            ) SELECT count(*) FROM idle
            """,
            [now_ns],
        )[0][0]
        like = ADDRESS_PREFIX + "%"
        (addresses,) = self.execute(f"SELECT count(*) FROM {TABLE} WHERE key LIKE %s", [like])[0]
        if addresses > max_address_rows:
            # Back to 90 % so that a flood does not trigger a cleanup on every insert.
            excess = addresses - (max_address_rows - max_address_rows // 10)
            deleted += self.execute(
                f"""
                WITH evicted AS (
                    DELETE FROM {TABLE} WHERE key IN (
                        SELECT key FROM {TABLE} WHERE key LIKE %s ORDER BY tat LIMIT %s
                    ) RETURNING 1
                ) SELECT count(*) FROM evicted
                """,
                [ADDRESS_PREFIX + "%", excess],
            )[0][0]
        (rows,) = self.execute(f"SELECT count(*) FROM {TABLE}")[0]
        return deleted, rows


class McpRateState(models.AbstractModel):
    _name = "mcp.rate.state"
    _description = "MCP Shared Rate-Limit State"

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE UNLOGGED TABLE IF NOT EXISTS %s (
                    key varchar PRIMARY KEY,
                    tat bigint NOT NULL,
                    seen bigint NOT NULL,
                    allowed boolean NOT NULL
                )
                """,
                SQL.identifier(TABLE),
            )
        )
        # Room on each page for a row's new version (updates stay on the page, the key's index
        # untouched), and vacuum after every few thousand dead rows rather than 20 % of the table.
        self.env.cr.execute(
            SQL(
                "ALTER TABLE %s SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, "
                "autovacuum_vacuum_threshold = 1000)",
                SQL.identifier(TABLE),
            )
        )

    @api.model
    def _mcp_store(self):
        """This worker's store for this database (kept with the gate's other runtime state)."""
        runtime = self.env["mcp.gateway"]._mcp_runtime()
        store = runtime.get("rate_store")
        if store is None:
            store = runtime.setdefault("rate_store", RateStore(self.env.cr.dbname))
        return store

    @api.model
    def _gc_mcp_rate_state(self):
        """Cron: forget the callers whose state has fully refilled."""
        try:
            deleted, rows = self._mcp_store().gc()
        except StoreUnavailable as exc:
            _logger.warning("MCP: rate-limit state cleanup failed: %s", exc)
            return
        _logger.info("MCP: rate-limit state cleanup: %d row(s) deleted, %d kept", deleted, rows)
