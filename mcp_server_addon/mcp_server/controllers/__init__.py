from . import rest, xmlrpc
