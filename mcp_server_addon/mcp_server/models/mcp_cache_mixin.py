from odoo import api, models


class McpCacheMixin(models.AbstractModel):
    """Records the MCP gate derives state from (enabled models, keys): any change empties Odoo's
    caches here and, through cache signalling, in every other worker at its next request."""

    _name = "mcp.cache.mixin"
    _description = "MCP Derived-State Invalidation"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
