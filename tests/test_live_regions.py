"""A list or table is never a live region (a screen reader would read it whole on every swap or poll): a swap's
result or count line says role="status" and static/canal.js reads it out (docs/CONVENTIONS.md, Accessibility).
Only #flashes, the page's message area, is aria-live."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LIVE = re.compile(r"<(\w+)[^>]*\baria-live=", re.S)


def live_regions() -> list[str]:
    return [f"{path.relative_to(TEMPLATES)}: {match.group(0)[:60]}" for path in sorted(TEMPLATES.rglob("*.html"))
            for match in LIVE.finditer(path.read_text(encoding="utf-8")) if 'id="flashes"' not in match.group(0)]


def test_no_template_makes_a_region_aria_live_but_the_flashes():
    assert live_regions() == []


def test_the_lists_that_used_to_be_live_give_their_count_or_result_line_role_status():
    for name in ("imports/_items.html", "imports/upload_progress.html", "subscriptions/_list.html"):
        assert 'role="status"' in (TEMPLATES / name).read_text(encoding="utf-8"), name
