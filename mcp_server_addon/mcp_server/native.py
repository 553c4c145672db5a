"""The one place where the addon imports the ``odoo-mcp-native`` wheel.

If the wheel is missing or its version does not match what this addon was written for, one clear
error is logged and :func:`get` returns ``None``: every MCP route then answers 503. There is no
pure-Python fallback for authentication.
"""

import logging

_logger = logging.getLogger(__name__)

#: Versions of the wheel this addon works with: same major.minor, any patch.
REQUIRED_SERIES = (0, 1)

#: What MCP routes answer (503) while the wheel is unusable; the details are in the server log.
UNAVAILABLE = "MCP Server is unavailable: its native module is missing or does not match this addon."

_native = None
_error = None


def _load():
    global _native, _error  # noqa: PLW0603 - import-time, once per process
    _native = _error = None
    try:
        import odoo_mcp_native
    except ImportError as exc:
        _error = (
            "the Python package odoo-mcp-native is not installed in the Python that runs Odoo "
            f"({exc}); install the wheel built from this repository"
        )
    else:
        version = getattr(odoo_mcp_native, "__version__", "")
        try:
            series = tuple(int(part) for part in version.split(".")[:2])
        except ValueError:
            series = ()
        if series != REQUIRED_SERIES:
            _error = (
                f"odoo-mcp-native {version or '(unknown version)'} is installed, but this addon needs "
                f"{'.'.join(map(str, REQUIRED_SERIES))}.x; install the matching wheel"
            )
        else:
            _native = odoo_mcp_native
    if _error:
        _logger.error("MCP Server is unavailable: %s. Every MCP route answers 503.", _error)


def get():
    """The native module, or ``None`` when it is missing or mismatched."""
    return _native


def error():
    """Why :func:`get` returns ``None``, or ``None`` when the wheel is usable."""
    return _error


_load()
