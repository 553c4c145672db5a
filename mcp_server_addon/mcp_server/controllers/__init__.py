from . import mcp, rest, xmlrpc
