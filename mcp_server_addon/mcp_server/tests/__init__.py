from . import test_gateway, test_marshal, test_rest, test_xmlrpc
