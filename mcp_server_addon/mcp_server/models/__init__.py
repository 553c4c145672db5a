# The mixin first: the models below inherit it.
from . import mcp_cache_mixin

# isort: split
from . import (
    mail_thread,
    mcp_api_key,
    mcp_enabled_model,
    mcp_gateway,
    mcp_gateway_tools,
    mcp_log,
    mcp_log_latency,
    mcp_oauth_client,
    mcp_oauth_grant,
    mcp_oauth_server,
    mcp_oauth_token,
    mcp_rate_state,
    res_config_settings,
    res_users,
    res_users_apikeys,
)
