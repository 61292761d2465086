"""What staff may not do while logged in as a reseller user ("log in as", blueprints/admin/impersonation.py).

Support acts for the reseller, but some things only the reseller's own people may do: accept terms on the
company's behalf, send license keys to an address that is not the customer's, change the user's password
or preferences. Views mark them with @own_people_only(message) or ask impersonating().
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import flash, g, redirect, request, url_for

from models import User


def acting_staff() -> User | None:
    """The staff member logged in as the current user, else None. Set before every request by
    blueprints/admin/impersonation.py (check_impersonation), which first ends a stale impersonation."""
    return g.get("impersonator")


def impersonating() -> bool:
    return acting_staff() is not None


def own_people_only(message):
    """Decorator for a view staff may not use while logged in as the user: nothing is done, and the page
    they came from (else the home page) shows `message` (an _l() text)."""
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if impersonating():
                flash(str(message), "error")
                return redirect(_same_site_referrer() or url_for("main.home"), 303)
            return view(*args, **kwargs)
        return guarded
    return decorator


def _same_site_referrer() -> str | None:
    """The page a form was posted from (often the same URL), or the page a refused page was linked from."""
    referrer = request.referrer or ""
    if not referrer.startswith(request.host_url) or (request.method == "GET" and referrer == request.url):
        return None
    parts = urlsplit(referrer)  # a path on this site only: never "//elsewhere" or "/\\elsewhere"
    return "/" + parts.path.lstrip("/\\") + (f"?{parts.query}" if parts.query else "")
