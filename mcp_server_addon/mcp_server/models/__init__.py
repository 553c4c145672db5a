# The mixin first: the models below inherit it.
from . import mcp_cache_mixin

# isort: split
from . import (
    mcp_api_key,
    mcp_enabled_model,
    mcp_gateway,
    mcp_log,
    mcp_rate_state,
    res_config_settings,
    res_users,
    res_users_apikeys,
)
