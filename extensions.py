"""Extension singletons, bound to the app in create_app()."""
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
# Only the routes that ask for it are limited (login); storage is Redis (RATELIMIT_STORAGE_URI, from
# REDIS_URL). If Redis is down, limits are kept in this process's memory instead of failing the login.
limiter = Limiter(key_func=get_remote_address, key_prefix="canal-limits", strategy="moving-window",
                  in_memory_fallback_enabled=True)
login_manager = LoginManager()
migrate = Migrate()
