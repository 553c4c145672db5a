from . import compat, controllers, models, wizard

compat.honour_database_header()


def uninstall_hook(env):
    """Drop what no ORM model owns, so that an uninstall leaves nothing of the addon behind: the
    shared rate-limit state (the ORM drops the models' own tables and columns)."""
    from .models.mcp_rate_state import TABLE

    env.cr.execute(f"DROP TABLE IF EXISTS {TABLE}")
