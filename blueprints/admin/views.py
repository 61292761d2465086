"""The admin index (the dashboard) lives in blueprints/admin/dashboard.py."""
from blueprints.admin import dashboard  # noqa: F401
