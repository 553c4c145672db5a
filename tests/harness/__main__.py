"""``python -m tests.harness <command>``: the commands behind the README's ``make setup`` and ``make test``.

setup   install the wheel into Odoo's Python and bring up a ready-to-use Odoo with mcp_server
stop    stop what ``setup`` started
l2      the addon's Odoo tests (``--test-tags=/mcp_server``) in a fresh database, then tear down
screenshots  the Apps page's pictures, from the MCP app's tours
pot     the addon's translation template (i18n/mcp_server.pot)
test    every level (L0 cargo, L1 wheel, L2 Odoo, L3 end-to-end) and lint; one summary line per level
"""

import sys

from . import dev, levels

COMMANDS = {
    "setup": dev.setup,
    "stop": dev.stop,
    "l2": levels.main_l2,
    "screenshots": levels.main_screenshots,
    "pot": levels.main_pot,
    "test": levels.main_test,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
