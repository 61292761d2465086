"""Helpers of the browser tests: the GET pages each role can open (the URL map walked as the viewer crawl does,
tests/team/test_viewer_crawl.py), what makes a page wider than the screen, and logging in through the form."""
from __future__ import annotations

import re

from flask import url_for

from tests.factories import PASSWORD
from tests.isolation.test_crawl import FILL

ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
NOT_PAGES = ("static", "rq_dashboard.", "ops.health", "ops.metrics", "licenses.export", "admin.audit_export",
             "imports.upload_template", "imports.failed_rows", "activation.", "auth.set_password",
             "ops.mail_message", "ops.mail_attachment")
# (files, JSON, another app's UI, public token links, a caught message or its attachment by name)
FILES = (".csv", ".pdf", ".json", "/csv", "/pdf")
SAMPLE = {"step": "details", "period": "2026-11"}  # a checkout step, a billing month
ADMIN_FILL = {  # URL argument -> how to read it from reseller A's world
    "order_id": lambda w: w["pending_order"].id, "email_id": lambda w: w["email"].id,
    "reseller_id": lambda w: w["user"].reseller_id, "product_id": lambda w: w["approved_order"].lines[0].product_id,
    "vendor_id": lambda w: w["approved_order"].lines[0].product.vendor_id,
    "category_id": lambda w: w["approved_order"].lines[0].product.category_id,
    "import_id": lambda w: w["file_import"].id,
}
AREAS = {"reseller": lambda e: not e.startswith(("admin.", "ops.")),
         "staff": lambda e: e.startswith(("admin.", "main.", "auth.edit_password", "auth.two_factor")),
         "ops": lambda e: e.startswith(("ops.", "main.", "auth.edit_password"))}


def catalog_args(world) -> dict[str, str]:
    product = world["approved_order"].lines[0].product
    return {"slug": product.vendor.slug, "category_slug": product.category.slug, "product_id": product.id}


def pages_of(app, role: str, world) -> tuple[list[str], list[str]]:
    """(the role's page URLs, the pages whose URL could not be filled)."""
    urls, unknown = set(), []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            endpoint = rule.endpoint
            if ("GET" not in rule.methods or endpoint.startswith(NOT_PAGES) or rule.rule.endswith(FILES)
                    or not AREAS[role](endpoint)):
                continue
            args, missing = {}, []
            for _converter, name in ARG.findall(rule.rule):
                fill = FILL.get(endpoint, {})
                if name in fill:
                    args[name] = world[fill[name]].id
                elif endpoint.startswith("catalog.") and name in catalog_args(world):
                    args[name] = catalog_args(world)[name]
                elif endpoint.startswith("admin.") and name in ADMIN_FILL:
                    args[name] = ADMIN_FILL[name](world)
                elif name.endswith("_id") and name[:-3] in world:  # e.g. subscription_id: world["subscription"]
                    args[name] = world[name[:-3]].id
                elif name in SAMPLE:
                    args[name] = SAMPLE[name]
                else:
                    missing.append(name)
            if missing:
                unknown.append(f"{endpoint} ({rule.rule}): {', '.join(missing)}")
            else:
                urls.add(url_for(endpoint, **args))
    return sorted(urls), unknown


WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  if (!document.getElementById("page")) return null;  // a fragment htmx asks for (opened alone it has no styles)
  if (document.documentElement.scrollWidth <= width) return null;
  const over = el => el.getBoundingClientRect().right > width + 1;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().replace(/\\s+/g, ".") : "");
  const clipped = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== "visible") return true; } return false; };
  const culprits = [...document.querySelectorAll("body *")].filter(el => over(el) && !clipped(el));
  return document.documentElement.scrollWidth + " px: " + culprits.slice(-4).map(
    el => name(el.parentElement) + " > " + name(el)).join(", ");
}"""  # what makes the page scroll sideways (None if nothing does), for tests/browser/test_page_widths.py and the crawl


def log_in(page, user, password: str = PASSWORD) -> None:
    """Log in through the form at a desktop width, and wait for the logged-in page."""
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


def log_out(page) -> None:
    """Log out, and wait for the login page: a page opened before the logout has landed still has the session."""
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
