from odoo import api, models

from .. import compat

#: Fields whose change must end cached MCP credentials and user states in every worker.
MCP_USER_FIELDS = {"active", compat.USER_GROUPS, "password"}


class ResUsers(models.Model):
    _inherit = "res.users"

    def write(self, vals):
        result = super().write(vals)
        if MCP_USER_FIELDS & set(vals):
            self.env.registry.clear_cache(*{"default", compat.USER_CACHE})
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache(*{"default", compat.USER_CACHE})
        return result

    @api.model
    def _mcp_load_series_data(self):
        """Called by ``data/series_data.xml``: see :func:`compat.load_series_data`."""
        compat.load_series_data(self.sudo().env)
