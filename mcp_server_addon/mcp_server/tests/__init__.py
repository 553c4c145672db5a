from . import (
    test_gateway,
    test_marshal,
    test_rate_limit,
    test_reach,
    test_rest,
    test_ui,
    test_wizard,
    test_xmlrpc,
)
