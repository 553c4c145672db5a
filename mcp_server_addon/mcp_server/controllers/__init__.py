from . import json2, jsonrpc, mcp, rest, xmlrpc
