from . import (
    test_gateway,
    test_identity,
    test_json2,
    test_jsonrpc,
    test_marshal,
    test_odoo_routes,
    test_reach,
    test_rest,
    test_ui,
    test_wizard,
    test_xmlrpc,
    test_xmlrpc2,
)
