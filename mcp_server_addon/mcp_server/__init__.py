from . import compat, controllers, models, wizard

compat.honour_database_header()
