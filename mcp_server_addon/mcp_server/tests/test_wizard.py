from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import SQL

SETTING_KEYS = (
    "mcp_server.enabled",
    "mcp_server.enable_rate_limiting",
    "mcp_server.request_limit",
    "mcp_server.enable_logging",
    "mcp_server.log_retention_days",
)


class McpUiCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mcp_admin = new_test_user(
            cls.env, "mcp_ui_admin", groups="base.group_user,mcp_server.group_mcp_admin"
        )
        cls.mcp_user = new_test_user(
            cls.env, "mcp_ui_user", groups="base.group_user,mcp_server.group_mcp_user"
        )
        cls.mcp_user2 = new_test_user(
            cls.env, "mcp_ui_user2", groups="base.group_user,mcp_server.group_mcp_user"
        )
        cls.internal = new_test_user(cls.env, "mcp_ui_internal", groups="base.group_user")
        cls.IrModel = cls.env["ir.model"]


@tagged("post_install", "-at_install")
class TestModelSelectionWizard(McpUiCase):
    def _wizard_form(self, user=None, **context):
        return Form(
            self.env["mcp.model.selection.wizard"].with_user(user or self.mcp_admin).with_context(**context)
        )

    def test_selectable_models_exclude_technical_transient_and_enabled(self):
        partner, bank = self.IrModel._get("res.partner"), self.IrModel._get("res.bank")
        self.env["mcp.enabled.model"].create({"model_id": partner.id})
        selectable = self.env["mcp.model.selection.wizard"].with_user(self.mcp_admin)._get_selectable_models()
        names = set(selectable.mapped("model"))

        self.assertIn("res.partner.category", names)
        self.assertIn("res.bank", names)
        self.assertNotIn("res.partner", names, "an enabled model is not offered again")
        for name in names:
            self.assertFalse(name.startswith(("ir.", "base_", "mcp.")), name)
        self.assertFalse(selectable.filtered("transient"))
        self.assertFalse(selectable.filtered(lambda m: self.env.registry[m.model]._abstract))
        # the excluded families exist in this database, so the checks above can fail
        for name in ("ir.ui.view", "mcp.log", "mcp.enabled.model", "res.config.settings", "avatar.mixin"):
            self.assertTrue(self.IrModel._get(name), name)
            self.assertNotIn(name, names)

        # the form offers exactly these models
        form = self._wizard_form()
        self.assertEqual(set(form.selectable_model_ids.ids), set(selectable.ids))
        self.assertIn(bank, form.selectable_model_ids)

    def test_underscore_is_literal_in_base_prefix(self):
        # 'base_%' in LIKE would also match 'base.x' or 'baseXx'; the pattern escapes '_'
        domain = self.env["mcp.model.selection.wizard"]._selectable_models_domain()
        leaf = ("model", "=like", "base\\_%")
        self.assertIn(leaf, domain)
        self.assertEqual(domain[domain.index(leaf) - 1], "!")

    def test_enable_several_models_with_default_rights(self):
        category = self.IrModel._get("res.partner.category")
        country = self.IrModel._get("res.country")
        form = self._wizard_form()
        self.assertTrue(form.allow_read)
        self.assertFalse(form.allow_write or form.allow_create or form.allow_unlink)
        form.model_ids.add(category)
        form.model_ids.add(country)
        wizard = form.save()
        wizard.action_enable()

        rows = self.env["mcp.enabled.model"].search([("model_id", "in", (category | country).ids)])
        self.assertEqual(rows.model_id, category | country)
        for row in rows:
            self.assertTrue(row.active and row.allow_read)
            self.assertFalse(row.allow_write or row.allow_create or row.allow_unlink)
        self.assertEqual(sorted(rows.mapped("model_name")), ["res.country", "res.partner.category"])

    def test_enable_with_chosen_rights(self):
        bank = self.IrModel._get("res.bank")
        form = self._wizard_form()
        form.model_ids.add(bank)
        form.allow_write = True
        form.allow_create = True
        form.save().action_enable()
        row = self.env["mcp.enabled.model"].search([("model_id", "=", bank.id)])
        self.assertEqual(
            (row.allow_read, row.allow_write, row.allow_create, row.allow_unlink), (True, True, True, False)
        )

    def test_archived_row_is_reactivated_and_concurrent_one_kept(self):
        EnabledModel = self.env["mcp.enabled.model"]
        country, bank = self.IrModel._get("res.country"), self.IrModel._get("res.bank")
        archived = EnabledModel.create({"model_id": country.id, "allow_unlink": True, "active": False})
        form = self._wizard_form()
        form.model_ids.add(country)
        form.model_ids.add(bank)
        wizard = form.save()
        # someone enables res.bank between the wizard's opening and its confirmation
        concurrent = EnabledModel.create({"model_id": bank.id, "allow_write": True})
        wizard.action_enable()

        rows = EnabledModel.with_context(active_test=False).search([("model_id", "in", (country | bank).ids)])
        self.assertEqual(rows, archived | concurrent, "no duplicate rows")
        self.assertTrue(archived.active)
        self.assertFalse(archived.allow_unlink, "reactivated with the wizard's rights")
        self.assertTrue(concurrent.allow_write, "a row enabled meanwhile is left as is")

    def test_technical_models_are_refused(self):
        for name in ("ir.ui.view", "mcp.log", "res.config.settings"):
            wizard = (
                self.env["mcp.model.selection.wizard"]
                .with_user(self.mcp_admin)
                .create({"model_ids": [Command.set(self.IrModel._get(name).ids)]})
            )
            with self.assertRaises(UserError):
                wizard.action_enable()
            self.assertFalse(self.env["mcp.enabled.model"].search([("model_name", "=", name)]))

    def test_empty_selection_is_refused(self):
        with self.assertRaises(UserError):
            self._wizard_form().save().action_enable()

    def test_preselects_selectable_active_ids_from_ir_model(self):
        category, view = self.IrModel._get("res.partner.category"), self.IrModel._get("ir.ui.view")
        form = self._wizard_form(active_model="ir.model", active_ids=(category | view).ids)
        self.assertEqual(form.model_ids[:], category)
        action = form.save().action_enable()
        self.assertEqual(action["res_model"], "mcp.enabled.model", "from ir.model, show the enabled models")
        self.assertTrue(self.env["mcp.enabled.model"].search([("model_id", "=", category.id)]))

    def test_ir_model_action_binding(self):
        action = self.env.ref("mcp_server.mcp_model_selection_wizard_action_ir_model")
        self.assertEqual(action.binding_model_id, self.env.ref("base.model_ir_model"))
        self.assertEqual(action.res_model, "mcp.model.selection.wizard")

        def bound_ids(user):
            bindings = self.env["ir.actions.actions"].with_user(user).get_bindings("ir.model")
            return [binding["id"] for binding in bindings.get("action", [])]

        self.assertIn(action.id, bound_ids(self.mcp_admin))
        self.assertNotIn(action.id, bound_ids(self.mcp_user), "only MCP administrators see it")

    def test_only_mcp_admins_use_the_wizard(self):
        with self.assertRaises(AccessError):
            self.env["mcp.model.selection.wizard"].with_user(self.mcp_user).create({})


@tagged("post_install", "-at_install")
class TestApiKeyWizard(McpUiCase):
    def _key_row(self, key):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT key_hash, key_index, row_to_json(k)::text FROM mcp_api_key k WHERE id = %s", key.id)
        )
        return self.env.cr.fetchone()

    def _generate(self, user, name="laptop", **values):
        form = Form(self.env["mcp.api.key.wizard"].with_user(user))
        form.name = name
        for field, value in values.items():
            setattr(form, field, value)
        wizard = form.save()
        action = wizard.action_generate()
        self.assertFalse(wizard.exists(), "the wizard row is removed")
        return action

    def test_key_is_shown_once_and_only_its_hash_is_stored(self):
        action = self._generate(self.mcp_user, scope="res.partner:R")
        self.assertEqual(action["res_model"], "mcp.api.key.show")
        self.assertEqual(action["target"], "new")
        secret = action["context"]["default_key"]
        self.assertTrue(secret)

        key = self.env["mcp.api.key"].search([("user_id", "=", self.mcp_user.id)])
        self.assertEqual(len(key), 1)
        self.assertEqual((key.name, key.scope, key.state), ("laptop", "res.partner:R", "active"))
        key_hash, key_index, row = self._key_row(key)
        self.assertTrue(key_hash.startswith("$argon2id$"), key_hash[:12])
        self.assertTrue(key_index)
        self.assertNotIn(secret, row, "the secret is nowhere in the key's row")
        # no ORM field exposes the hash
        self.assertNotIn(key_hash, str(key.with_user(self.mcp_user).read()))

        # the dialog shows the key from its context and stores nothing
        self.assertTrue(self.env["mcp.api.key.show"]._abstract)
        show = Form(self.env["mcp.api.key.show"].with_context(default_key=secret))
        self.assertEqual(show.key, secret)

    def test_each_key_is_new(self):
        first = self._generate(self.mcp_user)["context"]["default_key"]
        second = self._generate(self.mcp_user)["context"]["default_key"]
        self.assertNotEqual(first, second)
        self.assertEqual(self.env["mcp.api.key"].search_count([("user_id", "=", self.mcp_user.id)]), 2)

    def test_user_defaults_to_current_user_and_is_readonly_for_non_admins(self):
        form = Form(self.env["mcp.api.key.wizard"].with_user(self.mcp_user))
        self.assertEqual(form.user_id, self.mcp_user)
        self.assertFalse(form.is_mcp_admin)
        with self.assertRaises(AssertionError):
            form.user_id = self.mcp_user2

    def test_non_admin_cannot_create_for_someone_else(self):
        wizard = (
            self.env["mcp.api.key.wizard"]
            .with_user(self.mcp_user)
            .create({"name": "sneaky", "user_id": self.mcp_user2.id})
        )
        with self.assertRaises(AccessError):
            wizard.action_generate()
        self.assertFalse(self.env["mcp.api.key"].search([("user_id", "=", self.mcp_user2.id)]))

    def test_admin_creates_for_another_mcp_user(self):
        form = Form(self.env["mcp.api.key.wizard"].with_user(self.mcp_admin))
        self.assertTrue(form.is_mcp_admin)
        form.name = "for user"
        form.user_id = self.mcp_user2
        form.save().action_generate()
        key = self.env["mcp.api.key"].search([("user_id", "=", self.mcp_user2.id)])
        self.assertEqual(key.name, "for user")

    def test_non_mcp_user_gets_no_key(self):
        with self.assertRaises(AccessError):
            self.env["mcp.api.key.wizard"].with_user(self.internal).create({"name": "x"})
        wizard = (
            self.env["mcp.api.key.wizard"]
            .with_user(self.mcp_admin)
            .create({"name": "x", "user_id": self.internal.id})
        )
        with self.assertRaises(UserError):
            wizard.action_generate()


@tagged("post_install", "-at_install")
class TestSettings(McpUiCase):
    def setUp(self):
        super().setUp()
        self.ICP = self.env["ir.config_parameter"].sudo()
        self.ICP.search([("key", "in", SETTING_KEYS)]).unlink()
        self.admin = self.env.ref("base.user_admin")

    def test_defaults_when_absent(self):
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertFalse(settings.mcp_enabled)
        self.assertTrue(settings.mcp_enable_rate_limiting)
        self.assertEqual(settings.mcp_request_limit, 300)
        self.assertTrue(settings.mcp_enable_logging)
        self.assertEqual(settings.mcp_log_retention_days, 30)

    def test_round_trip(self):
        form = Form(self.env["res.config.settings"].with_user(self.admin))
        form.mcp_enabled = True
        # the number fields show only while their switch is on
        form.mcp_request_limit = 120
        form.mcp_enable_rate_limiting = False
        form.mcp_log_retention_days = 7
        form.mcp_enable_logging = False
        form.save().execute()

        get = self.ICP.get_param
        self.assertEqual(get("mcp_server.enabled"), "True")
        self.assertEqual(get("mcp_server.enable_rate_limiting"), "False")
        self.assertEqual(get("mcp_server.request_limit"), "120")
        self.assertEqual(get("mcp_server.enable_logging"), "False")
        self.assertEqual(get("mcp_server.log_retention_days"), "7")

        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertEqual(
            (
                settings.mcp_enabled,
                settings.mcp_enable_rate_limiting,
                settings.mcp_request_limit,
                settings.mcp_enable_logging,
                settings.mcp_log_retention_days,
            ),
            (True, False, 120, False, 7),
        )

        # switching off again: the gate reads it as off, and the other switches come back on
        form = Form(self.env["res.config.settings"].with_user(self.admin))
        form.mcp_enable_rate_limiting = True
        form.mcp_enable_logging = True
        form.mcp_request_limit = 0
        form.mcp_enabled = False  # last: it hides the other settings
        form.save().execute()
        self.assertIn(get("mcp_server.enabled"), (False, "False"))
        self.assertEqual(get("mcp_server.enable_rate_limiting"), "True")
        self.assertEqual(get("mcp_server.request_limit"), "0")
        parsed = self.env["mcp.gateway"]._mcp_read_settings()
        self.assertFalse(parsed["enabled"])
        self.assertEqual(parsed["request_limit"], 0)

    def test_enabled_model_count(self):
        before = self.env["res.config.settings"].create({}).mcp_enabled_model_count
        self.env["mcp.enabled.model"].create({"model_id": self.IrModel._get("res.bank").id})
        self.assertEqual(self.env["res.config.settings"].create({}).mcp_enabled_model_count, before + 1)


@tagged("post_install", "-at_install")
class TestAccessRights(McpUiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Log = cls.env["mcp.log"]
        Log._mcp_insert(
            cls.env.cr,
            [
                {"event_type": "auth_success", "user_id": cls.mcp_user.id, "endpoint": "/mcp/auth/validate"},
                {"event_type": "model_access", "user_id": cls.mcp_user2.id, "endpoint": "/mcp/models"},
                {"event_type": "auth_failure", "user_id": None, "endpoint": "/mcp/auth/validate"},
            ],
        )
        cls.env.invalidate_all()
        cls.own_log = Log.search([("user_id", "=", cls.mcp_user.id)])
        cls.other_log = Log.search([("user_id", "=", cls.mcp_user2.id)])
        cls.anonymous_log = Log.search([("user_id", "=", False)])
        Key = cls.env["mcp.api.key"]
        Key.with_user(cls.mcp_admin)._generate("own", cls.mcp_user)
        Key.with_user(cls.mcp_admin)._generate("other", cls.mcp_user2)
        cls.own_key = Key.search([("user_id", "=", cls.mcp_user.id)])
        cls.other_key = Key.search([("user_id", "=", cls.mcp_user2.id)])

    def test_log_mcp_user_reads_own_rows_only(self):
        Log = self.env["mcp.log"].with_user(self.mcp_user)
        self.assertEqual(Log.search([]), self.own_log.with_user(self.mcp_user))
        self.own_log.with_user(self.mcp_user).read(["endpoint"])
        for record in (self.other_log, self.anonymous_log):
            with self.assertRaises(AccessError):
                record.with_user(self.mcp_user).read(["endpoint"])
        with self.assertRaises(AccessError):
            self.own_log.with_user(self.mcp_user).write({"endpoint": "/x"})
        with self.assertRaises(AccessError):
            self.own_log.with_user(self.mcp_user).unlink()
        with self.assertRaises(AccessError):
            Log.create({"event_type": "error"})

    def test_log_mcp_admin_reads_and_deletes_all(self):
        Log = self.env["mcp.log"].with_user(self.mcp_admin)
        everything = self.own_log | self.other_log | self.anonymous_log
        self.assertEqual(set(Log.search([("id", "in", everything.ids)]).ids), set(everything.ids))
        with self.assertRaises(AccessError):
            self.other_log.with_user(self.mcp_admin).write({"endpoint": "/x"})
        with self.assertRaises(AccessError):
            Log.create({"event_type": "error"})
        self.other_log.with_user(self.mcp_admin).unlink()
        self.assertFalse(self.other_log.exists())

    def test_settings_admin_is_mcp_admin(self):
        admin = new_test_user(self.env, "mcp_ui_sysadmin", groups="base.group_system")
        self.assertTrue(admin.has_group("mcp_server.group_mcp_admin"))
        self.assertTrue(admin.has_group("mcp_server.group_mcp_user"))
        self.assertTrue(self.env.ref("base.user_admin").has_group("mcp_server.group_mcp_admin"))
        self.assertFalse(self.mcp_user.has_group("mcp_server.group_mcp_admin"))

    def test_internal_user_without_mcp_group_sees_nothing(self):
        for model in ("mcp.log", "mcp.api.key", "mcp.enabled.model"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.internal).search([])

    def test_keys_mcp_user_manages_own_keys_only(self):
        Key = self.env["mcp.api.key"].with_user(self.mcp_user)
        self.assertEqual(Key.search([]).ids, self.own_key.ids)
        own = self.own_key.with_user(self.mcp_user)
        own.write({"name": "renamed"})
        self.assertEqual(own.name, "renamed")
        own.action_revoke()
        self.assertEqual(own.state, "revoked")

        other = self.other_key.with_user(self.mcp_user)
        with self.assertRaises(AccessError):
            other.read(["name"])
        with self.assertRaises(AccessError):
            other.action_revoke()
        with self.assertRaises(AccessError):
            other.unlink()
        with self.assertRaises(AccessError):
            Key.with_context(mcp_key_generation=True).create({"name": "direct", "user_id": self.mcp_user.id})

        own.unlink()
        self.assertFalse(self.own_key.exists())

    def test_keys_mcp_admin_manages_all_keys(self):
        Key = self.env["mcp.api.key"].with_user(self.mcp_admin)
        self.assertEqual(
            Key.search([("id", "in", (self.own_key | self.other_key).ids)]), self.own_key | self.other_key
        )
        self.other_key.with_user(self.mcp_admin).action_revoke()
        self.assertFalse(self.other_key.active)

    def test_enabled_models_read_only_for_mcp_users(self):
        row = self.env["mcp.enabled.model"].create({"model_id": self.IrModel._get("res.bank").id})
        self.assertEqual(row.with_user(self.mcp_user).allow_read, True)
        with self.assertRaises(AccessError):
            row.with_user(self.mcp_user).write({"allow_write": True})
        with self.assertRaises(AccessError):
            row.with_user(self.mcp_user).unlink()
        row.with_user(self.mcp_admin).write({"allow_write": True})
        self.assertTrue(row.allow_write)

    def test_preferences_link_to_keys_for_mcp_users(self):
        view = self.env.ref("base.view_users_form_simple_modif")
        for user, shown in ((self.mcp_user, True), (self.internal, False)):
            views = self.env["res.users"].with_user(user).get_views([(view.id, "form")])
            self.assertEqual('name="mcp_keys"' in views["views"]["form"]["arch"], shown, user.login)
