"""The rate limits kept in PostgreSQL: exact GCRA, shared by every worker, bounded, and refused (never
unlimited) while the shared state is unavailable."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .. import native
from ..models import mcp_rate_state
from ..models.mcp_gateway import RATE_STORE_UNAVAILABLE, McpError, Principal
from ..models.mcp_rate_state import RateStore, StoreUnavailable
from .common import McpCase

SECOND = 1_000_000_000
#: A clock of the test's own (nanoseconds), in 1973: rows on it are long idle for the database.
EPOCH = 10**17


@tagged("post_install", "-at_install")
class TestRateState(McpCase):
    def setUp(self):
        super().setUp()
        self.lib = native.get()
        self.store = self.env["mcp.rate.state"]._mcp_store()

    def other_worker(self):
        """A second connection to the same database, as another worker or host has."""
        store = RateStore(self.env.cr.dbname)
        self.addCleanup(store.close)
        return store

    def row(self, key):
        rows = self.store.execute("SELECT tat, seen FROM mcp_rate_state WHERE key = %s", [key])
        return rows[0] if rows else None

    def test_statement_decides_as_the_native_gcra(self):
        """The same sequence through the store and through the core's reference arithmetic (which
        L0 proves identical to the in-process RateLimiter): same decisions, same Retry-After."""
        limit = 12
        reference = self.lib.SharedLimiter(limit, max_refused=0)
        stored = self.lib.SharedLimiter(limit, max_refused=0)
        tat, now, decisions = None, EPOCH, []
        steps = [0] * 15 + [SECOND, 4 * SECOND, 0, 0, 5 * SECOND, 61 * SECOND] + [0] * 14 + [SECOND // 3] * 20
        for step in steps:
            now += step
            allowed, new_tat = reference.step(tat, now)
            expected = None if allowed else (tat - reference.tolerance_ns - now) / SECOND
            tat = new_tat if allowed else tat
            got = self.store.check([("test:exact", stored)], now_ns=now)
            self.assertEqual(got is None, expected is None, f"at {now - EPOCH}")
            if expected is not None:
                self.assertAlmostEqual(got, expected, places=9)
            decisions.append(got is None)
        self.assertEqual(self.row("test:exact")[0], tat)
        self.assertIn(True, decisions)
        self.assertIn(False, decisions)
        self.assertEqual(decisions[:13], [True] * 12 + [False])

    def test_two_workers_share_one_limit(self):
        limiter = self.lib.SharedLimiter(10, max_refused=0)
        other = self.other_worker()
        workers = [self.store, other]
        results = [workers[i % 2].check([("test:shared", limiter)], now_ns=EPOCH) for i in range(14)]
        self.assertEqual(sum(r is None for r in results), 10)
        self.assertEqual(results[10:], [6.0] * 4)

    def test_local_refusal_is_exact_and_skips_the_store(self):
        limiter = self.lib.SharedLimiter(10)
        for _ in range(10):
            self.assertIsNone(self.store.check([("test:local", limiter)]))
        retry = self.store.check([("test:local", limiter)])
        self.assertGreater(retry, 5.0)
        before = self.row("test:local")
        # refused again without a statement: the row (which records every check) is unchanged
        self.assertLessEqual(self.store.check([("test:local", limiter)]), retry)
        self.assertEqual(self.row("test:local"), before)
        self.assertEqual(len(limiter), 1)

    def test_second_key_counts_only_when_the_first_passed(self):
        user, key = self.lib.SharedLimiter(10, max_refused=0), self.lib.SharedLimiter(20, max_refused=0)
        checks = [("test:u", user), ("test:k", key)]
        results = [self.store.check(checks, now_ns=EPOCH) for _ in range(12)]
        self.assertEqual(sum(r is None for r in results), 10)
        # the key was charged for the ten that passed the user's limit, not for the two refused
        self.assertEqual(self.row("test:k")[0], EPOCH + 10 * key.interval_ns)

    def test_idle_state_expires(self):
        limiter = self.lib.SharedLimiter(10, max_refused=0)
        for _ in range(10):
            self.store.check([("test:idle", limiter)], now_ns=EPOCH)
        self.store.check([("test:busy", limiter)], now_ns=EPOCH + 59 * SECOND)
        tat = self.row("test:idle")[0]
        self.assertEqual(tat, EPOCH + 60 * SECOND)
        # not yet refilled: kept, and still refused
        self.store.gc(now_ns=tat - 1)
        self.assertIsNotNone(self.row("test:idle"))
        # refilled: it decides as no row, so it goes; the busy key stays
        self.store.gc(now_ns=tat)
        self.assertIsNone(self.row("test:idle"))
        self.assertIsNotNone(self.row("test:busy"))
        self.assertIsNone(self.store.check([("test:idle", limiter)], now_ns=tat))
        # the cron forgets whatever has refilled by the database's clock
        self.env["mcp.rate.state"]._gc_mcp_rate_state()
        self.assertIsNone(self.row("test:busy"))

    def test_a_flood_of_addresses_stays_bounded(self):
        limiter = self.lib.SharedLimiter(10, max_refused=0)
        # no cleanup on the way: on the database's clock these 1973 rows are long idle
        self.patch(mcp_rate_state, "GC_EVERY_INSERTS", 10**9)
        self.store.check([("u:999999/10", limiter)], now_ns=EPOCH)
        for i in range(1_500):
            self.store.check([(f"ip:10.0.{i // 256}.{i % 256}/10", limiter)], now_ns=EPOCH + i)
        deleted, rows = self.store.gc(now_ns=EPOCH, max_address_rows=1_000)
        self.assertEqual(deleted, 600)  # back to 90 % of the cap
        self.assertEqual(rows, 901)
        # the oldest addresses went first; user state is never evicted
        self.assertIsNone(self.row("ip:10.0.0.0/10"))
        self.assertIsNotNone(self.row("ip:10.0.5.219/10"))
        self.assertIsNotNone(self.row("u:999999/10"))

    def test_cleanup_piggybacks_on_new_rows(self):
        limiter = self.lib.SharedLimiter(60, max_refused=0)
        self.patch(mcp_rate_state, "GC_EVERY_INSERTS", 50)
        # one request each: refilled a second later by the database's clock, so the cleanup that
        # the 50th new row triggers forgets the earlier ones
        self.store.execute(
            "INSERT INTO mcp_rate_state VALUES ('ip:old/60', 1, 1, true), ('ip:older/60', 2, 2, true)"
        )
        for i in range(50):
            self.store.check([(f"ip:new-{i}/60", limiter)])
        self.assertIsNone(self.row("ip:old/60"))
        self.assertIsNone(self.row("ip:older/60"))
        self.assertIsNotNone(self.row("ip:new-49/60"))

    def test_lost_connection_is_opened_again(self):
        limiter = self.lib.SharedLimiter(10, max_refused=0)
        self.store.check([("test:reconnect", limiter)], now_ns=EPOCH)
        pid = self.store.execute("SELECT pg_backend_pid()")[0][0]
        other = self.other_worker()
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        self.assertIsNone(self.store.check([("test:reconnect", limiter)], now_ns=EPOCH))
        self.assertNotEqual(self.store.execute("SELECT pg_backend_pid()")[0][0], pid)

    def test_lost_prepared_statements_fall_back(self):
        """A pooler in front of PostgreSQL may lose what the connection prepared: checks go on."""
        limiter = self.lib.SharedLimiter(10, max_refused=0)
        self.assertIsNone(self.store.check([("test:prepared", limiter)], now_ns=EPOCH))
        self.store.execute("DEALLOCATE ALL")
        self.assertIsNone(self.store.check([("test:prepared", limiter)], now_ns=EPOCH))
        self.assertEqual(self.row("test:prepared")[0], EPOCH + 2 * limiter.interval_ns)

    def test_unreachable_store_raises(self):
        store = RateStore("mcp_no_such_database")
        with self.assertRaises(StoreUnavailable):
            store.check([("test:down", self.lib.SharedLimiter(10))])


@tagged("post_install", "-at_install")
class TestRateLimitRoutes(McpCase):
    def setUp(self):
        super().setUp()
        self.icp.set_param("mcp_server.request_limit", "10")

    def store_down(self):
        runtime = self.env["mcp.gateway"]._mcp_runtime()
        runtime["rate_store"] = RateStore("mcp_no_such_database")

    def test_rolled_back_calls_still_count(self):
        gateway = self.env["mcp.gateway"].sudo()
        principal = Principal(self.other_user.id, "api_key")
        for _ in range(10):
            with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
                gateway._mcp_rate_limit(principal)
                raise ZeroDivisionError  # the call fails and its work is rolled back
        with self.assertRaises(McpError) as refused:
            gateway._mcp_rate_limit(principal)
        self.assertEqual(refused.exception.status, 429)
        self.assertGreater(refused.exception.retry_after, 0)
        # a neighbour with a bucket of their own passes
        gateway._mcp_rate_limit(Principal(self.mcp_user.id, "api_key"))

    def test_key_limit_of_its_own(self):
        Key = self.env["mcp.api.key"]
        self.icp.set_param("mcp_server.request_limit", "100")
        narrow = Key.with_user(self.other_user)._generate("narrow", self.other_user)
        roomy = Key.with_user(self.other_user)._generate("roomy", self.other_user)
        record = Key.search([("name", "=", "narrow"), ("user_id", "=", self.other_user.id)])
        record.rate_limit = 10
        self.assertEqual(record.rate_limit, 10)
        for _ in range(10):
            self.assertEqual(self.rest("/mcp/auth/validate", narrow).status_code, 200)
        response = self.rest("/mcp/auth/validate", narrow)
        self.assertRestError(response, 429, "Too many requests. Rate limit exceeded.")
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 5)
        # the user's own limit (100) is not spent: another key of the same user passes
        self.assertEqual(self.rest("/mcp/auth/validate", roomy).status_code, 200)

    def test_key_limit_rules(self):
        self.icp.set_param("mcp_server.request_limit", "100")
        Key = self.env["mcp.api.key"]
        Key.with_user(self.other_user)._generate("mine", self.other_user)
        record = Key.search([("name", "=", "mine"), ("user_id", "=", self.other_user.id)])
        with self.assertRaises(ValidationError):
            record.rate_limit = 101  # never above the user's
        with self.assertRaises(ValidationError):
            record.rate_limit = -1
        with self.assertRaises(AccessError):
            record.with_user(self.other_user).rate_limit = 50  # an administrator's to set
        record.rate_limit = 100
        self.assertEqual(record.rate_limit, 100)
        self.assertIn('name="rate_limit"', self.env.ref("mcp_server.mcp_api_key_view_form").arch)

    def test_store_down_refuses_with_503(self):
        self.store_down()
        response = self.rest("/mcp/auth/validate", self.odoo_key)
        self.assertRestError(response, 503, RATE_STORE_UNAVAILABLE)
        with self.assertFault(503, RATE_STORE_UNAVAILABLE):
            self.execute(self.mcp_user.id, self.odoo_key, "res.partner", "search_count", [[]])
        # nothing else breaks: the health route answers, and without rate limiting calls pass
        self.assertEqual(self.rest("/mcp/health").status_code, 200)
        self.icp.set_param("mcp_server.enable_rate_limiting", "False")
        self.assertEqual(self.rest("/mcp/auth/validate", self.odoo_key).status_code, 200)
        self.assertIsInstance(
            self.execute(self.mcp_user.id, self.odoo_key, "res.partner", "search_count", [[]]), int
        )

    def test_auth_failure_rows_are_throttled_across_workers(self):
        self.icp.set_param("mcp_server.request_limit", "0")
        gateway = self.env["mcp.gateway"].sudo()
        first = [gateway._mcp_log_allowed("192.0.2.7") for _ in range(6)]
        # another worker: a fresh runtime (its own connection and local refusals), same state
        self.env.registry.__dict__.pop("_mcp_runtime", None)
        second = [gateway._mcp_log_allowed("192.0.2.7") for _ in range(6)]
        self.assertEqual(first, [True] * 6)
        self.assertEqual(second, [True] * 4 + [False] * 2)
        self.assertTrue(gateway._mcp_log_allowed("192.0.2.8"))
        self.store_down()
        self.assertFalse(gateway._mcp_log_allowed("192.0.2.9"))  # never unlimited

    def test_bad_keys_do_not_grow_the_state(self):
        self.icp.set_param("mcp_server.request_limit", "10")
        store = self.env["mcp.rate.state"]._mcp_store()
        (before,) = store.execute("SELECT count(*) FROM mcp_rate_state")[0]
        for i in range(30):
            response = self.rest("/mcp/auth/validate", f"mcp_bad{i:040d}")
            self.assertEqual(response.status_code, 401)
        (after,) = store.execute("SELECT count(*) FROM mcp_rate_state")[0]
        self.assertEqual(after - before, 1)  # one row for the address, none per key
