from . import json2, jsonrpc, rest, xmlrpc
