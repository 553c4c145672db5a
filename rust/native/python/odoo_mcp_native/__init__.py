"""Native core of the ``mcp_server`` Odoo addon.

The hot paths of every MCP request live in Rust (``odoo-mcp-core``); this package re-exports
the private ``_native`` extension module with a typed surface.
"""

from . import json, keys, xmlrpc
from ._native import (
    CachedCredential,
    CredentialCache,
    JsonDecodeError,
    JsonEncodeError,
    KeyFormatError,
    KeyPolicy,
    MatrixError,
    PermissionMatrix,
    RateLimiter,
    Scope,
    ScopeError,
    SharedLimiter,
    XmlRpcDecodeError,
    XmlRpcEncodeError,
    __version__,
    method_operation,
    valid_model_name,
)

__all__ = [
    "CachedCredential",
    "CredentialCache",
    "JsonDecodeError",
    "JsonEncodeError",
    "KeyFormatError",
    "KeyPolicy",
    "MatrixError",
    "PermissionMatrix",
    "RateLimiter",
    "Scope",
    "ScopeError",
    "SharedLimiter",
    "XmlRpcDecodeError",
    "XmlRpcEncodeError",
    "__version__",
    "json",
    "keys",
    "method_operation",
    "valid_model_name",
    "xmlrpc",
]
