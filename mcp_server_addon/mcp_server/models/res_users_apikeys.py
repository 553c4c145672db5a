from odoo import models


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def unlink(self):
        # Odoo's own XML-RPC keeps accepting a removed key in workers that cached it; MCP does not:
        # the removal clears the caches here and, through cache signalling, in every other worker.
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
