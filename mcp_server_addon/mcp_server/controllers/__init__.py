from . import json2, jsonrpc, mcp, oauth, rest, xmlrpc
