"""Log in through the real login form and hand the session cookie to the load generator."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

from bench.load import USER_AGENT


def login_cookie(base: str, email: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    html = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode(data).encode(), timeout=10)
    opener.open(base + "/", timeout=10)  # the session's CSRF token is set here once, as a browser would keep it
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise RuntimeError(f"login as {email} failed")
    return cookies
