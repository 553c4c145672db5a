"""Native core of the ``mcp_server`` Odoo addon.

The hot paths of every MCP request live in Rust (``odoo-mcp-core``); this package re-exports
the private ``_native`` extension module with a typed surface.
"""

from ._native import __version__

__all__ = ["__version__"]
