"""Test and development harness: a throwaway PostgreSQL cluster and a real Odoo 19 with the addon.

Used by the README's two commands (``make setup`` and ``make test``), the L2 and L3 test levels and
the end-to-end benchmarks. Odoo itself is never part of this repository: it is found through
``ODOO_BIN``/``ODOO_PYTHON`` or at ``/opt/odoo19``.
"""
