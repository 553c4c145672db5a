from . import mcp_api_key_wizard, mcp_connect, mcp_model_selection_wizard
