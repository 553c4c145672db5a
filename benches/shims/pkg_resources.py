"""A stand-in for setuptools' ``pkg_resources``, for gevent 22's ``gevent.events`` only.

setuptools 81 and later no longer ship ``pkg_resources``; gevent 22.10 imports it at
``monkey.patch_all()``. Without it, the gevent child that Odoo's prefork master starts
(``odoo-bin gevent``) dies at import and is restarted every second, burning CPU that the bench
would otherwise measure. The bench puts this folder on the Odoo server's ``PYTHONPATH`` only
when Odoo's Python cannot import a real ``pkg_resources``.
"""

from importlib.metadata import entry_points


def iter_entry_points(group, name=None):
    for entry in entry_points(group=group):
        if name is None or entry.name == name:
            yield entry
