from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def write(self, vals):
        result = super().write(vals)
        # Deactivating a user or changing groups must end cached MCP credentials in every worker.
        if {"active", "group_ids", "password"} & set(vals):
            self.env.registry.clear_cache()
        return result
