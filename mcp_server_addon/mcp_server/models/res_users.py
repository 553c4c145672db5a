from odoo import models

#: Fields whose change must end cached MCP credentials and user states in every worker.
MCP_USER_FIELDS = {"active", "group_ids", "password"}


class ResUsers(models.Model):
    _inherit = "res.users"

    def write(self, vals):
        result = super().write(vals)
        if MCP_USER_FIELDS & set(vals):
            self.env.registry.clear_cache("default", "stable")
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache("default", "stable")
        return result
