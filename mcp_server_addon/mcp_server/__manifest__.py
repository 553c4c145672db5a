{
    "name": "MCP Server",
    "version": "1.0.0",
    "summary": "Let AI assistants (MCP clients) work with Odoo data, safely: per-model rights, keys, "
    "rate limiting and an audit log, with a native (Rust) core",
    "description": """
MCP Server
==========
Serves the REST and XML-RPC endpoints that the ``mcp-server-odoo`` bridge uses in its standard mode,
behind a per-model read/write/create/unlink matrix, Odoo's own ACLs and record rules, API keys
(Odoo's and scoped MCP keys), per-user rate limiting and an audit log.

The hot paths (key hashing, rate limiting, permission decisions, XML-RPC codec) live in the
``odoo-mcp-native`` wheel, which must be installed in the Python that runs Odoo.
""",
    "category": "Extra Tools",
    "author": "mcp_server contributors",
    "website": "https://github.com/odoo-mcp/mcp_server",
    "license": "LGPL-3",
    "depends": ["base", "base_setup", "web", "mail"],
    "external_dependencies": {"python": ["odoo_mcp_native"]},
    "data": [
        "security/mcp_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/mcp_enabled_model_views.xml",
        "views/mcp_oauth_views.xml",
        "views/mcp_oauth_templates.xml",
        "views/mcp_api_key_views.xml",
        "views/mcp_log_views.xml",
        "wizard/mcp_model_selection_wizard_views.xml",
        "wizard/mcp_api_key_wizard_views.xml",
        "wizard/mcp_connect_views.xml",
        "wizard/mcp_playground_views.xml",
        "views/res_config_settings_views.xml",
        "views/mcp_menus.xml",
        "data/series_data.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "mcp_server/static/tests/tours/**/*",
        ],
    },
    "images": ["static/description/banner.png"],
    "installable": True,
    "uninstall_hook": "uninstall_hook",
    "application": True,
}
