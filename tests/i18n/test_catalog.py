"""Every user-visible string is marked for translation, the catalog is up to date, and Spanish is complete."""
from __future__ import annotations

import ast
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PO_FILE = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
SOURCES = ("app.py", "config.py", "blueprints", "services", "models", "jobs", "devstack", "templates")
PY_DIRS = ("blueprints", "services", "models", "jobs")
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "value", "label"}
# Text that reads the same in both languages: the brand, codes, symbols and units.
SAME_IN_BOTH = {"Canal", "EN", "ES", "UTC", "CSV", "SKU", "ID", "MPN", "OK", "GUID", "JSON", "RQ", "IP", "URL",
                "English", "Español", "Português"}  # a language is named in itself
ATTRIBUTES_ONLY = re.compile(r'(\s*[\w-]+="[^"]*")+\s*')  # a macro that returns attributes, e.g. aria-invalid
NOT_TEXT = ("script", "style", "code", "kbd", "samp")
WORD = re.compile(r"[^\W\d_]{2,}")


class _TextCollector(HTMLParser):
    """Text nodes and visible attributes. Skipped: scripts, identifiers in <code>/<kbd>/<samp>, and an
    element with its own `lang` (meant in that language)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in NOT_TEXT:
            self._skip += 1
        names = {name for name, _value in attrs}
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and "lang" not in names and not (
                    tag == "input" and name == "value"):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in NOT_TEXT:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def static_text(source: str) -> list[str]:
    """The literal text of a template: Jinja tags and expressions removed, {% trans %} bodies skipped."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    kept, in_trans, block = [], 0, None
    for _lineno, kind, value in env.lex(source):
        if kind == "block_begin":
            block = []
        elif kind == "name" and block is not None:
            block.append(value)
        elif kind == "block_end":
            if block[:1] == ["trans"]:
                in_trans += 1
            elif block[:1] == ["endtrans"]:
                in_trans -= 1
            block = None
        elif kind == "data" and not in_trans:
            kept.append(value)
    collector = _TextCollector()
    collector.feed("".join(kept))
    return [t.strip() for t in collector.texts if t.strip()]


def unmarked(text: str) -> bool:
    if ATTRIBUTES_ONLY.fullmatch(text):
        return False
    words = WORD.findall(text)
    return bool(words) and not all(w in SAME_IN_BOTH for w in words)


TEMPLATE_FILES = sorted(p for ext in ("html", "txt", "svg") for p in TEMPLATES.rglob(f"*.{ext}"))


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_unmarked_text(path):
    found = [t for t in static_text(path.read_text()) if unmarked(t)]
    assert found == [], f"wrap these in {{{{ _('...') }}}}: {found}"


def test_the_checker_finds_unmarked_text():
    source = ('<p>{{ _("Fine") }}</p><p>Not marked</p><input placeholder="Search">'
              '<b {% if x %}aria-invalid="true"{% endif %}>{{ n }}</b><i title="Ver" lang="es">ES</i>')
    assert [t for t in static_text(source) if unmarked(t)] == ["Not marked", "Search"]


# --- Python: flash(), DomainError messages, form labels and validator messages -------------------

@cache
def _domain_errors() -> frozenset[str]:
    import services
    from services import DomainError

    for module in (ROOT / "services").rglob("*.py"):
        __import__(".".join(module.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    names, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    assert services
    return frozenset(names)


def _is_literal(node: ast.AST) -> bool:
    """Literal English: a string with words, or an f-string whose literal parts have words."""
    if isinstance(node, ast.JoinedStr):
        return unmarked(" ".join(v.value for v in node.values if isinstance(v, ast.Constant)))
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and unmarked(node.value)


def _is_sentence(node: ast.AST) -> bool:
    """An error's message, not a code such as "expired" passed next to it."""
    text = node.value if isinstance(node, ast.Constant) else ast.unparse(node)
    return _is_literal(node) and " " in str(text).strip()


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def unmarked_python(tree: ast.AST, errors: set[str]) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        visible_args = []
        if name == "flash":
            visible_args = node.args[:1]
        elif name in errors or name in ("ValidationError", "StopValidation"):
            visible_args = [a for a in node.args if _is_sentence(a)]
        elif name.endswith("Field") or name == "SelectChoice":
            visible_args = node.args[:1] if name.endswith("Field") else node.args[1:2]
            visible_args += [k.value for k in node.keywords if k.arg in ("label", "description")]
        visible_args += [k.value for k in node.keywords if k.arg == "message"]
        found += [f"line {node.lineno}: {ast.unparse(a)}" for a in visible_args if _is_literal(a)]
    return found


PY_FILES = sorted(p for d in PY_DIRS for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", PY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_messages_are_marked(path):
    found = unmarked_python(ast.parse(path.read_text()), _domain_errors())
    assert found == [], f"wrap these in _() (views, services) or _l() (forms, constants): {found}"


def test_the_python_checker_finds_unmarked_messages():
    source = ('flash("Saved.")\nflash(_("Fine."))\nraise CartError(f"No {x}")\n'
              'name = StringField("Name", [DataRequired(message="Required.")])\nok = StringField(_l("Ok"))')
    assert len(unmarked_python(ast.parse(source), {"CartError"})) == 4


# --- The catalog ----------------------------------------------------------------------------------

def _read_catalog():
    with PO_FILE.open("rb") as f:
        return read_po(f)


def _message_id(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def extract_pot(target: Path) -> None:
    """What `make translations` extracts (babel.cfg, the Makefile's keywords), written as a .pot file."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    catalog = Catalog()
    for source in SOURCES:
        path = ROOT / source
        if path.is_dir():
            found = ((m[2], m[3]) for m in extract_from_dir(str(path), method_map, options_map, keywords=keywords))
        else:
            found = ((m[1], m[2]) for m in extract_from_file("python", str(path), keywords=keywords))
        for message, comments in found:
            catalog.add(message, None, auto_comments=comments)
    with target.open("wb") as f:
        write_po(f, catalog, omit_header=True)


def test_the_catalog_is_up_to_date_with_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    extract_pot(pot)
    with pot.open("rb") as f:
        in_code = {_message_id(m.id) for m in read_po(f) if m.id}
    in_po = {_message_id(m.id) for m in _read_catalog() if m.id}
    assert sorted(in_code - in_po) == [], "new strings: run `make translations` and translate them"
    assert sorted(in_po - in_code) == [], "stale entries: run `make translations`"


def test_every_msgid_has_a_spanish_translation_and_none_is_fuzzy():
    missing = [m.id for m in _read_catalog() if m.id and (m.fuzzy or not all(
        [m.string] if isinstance(m.string, str) else m.string))]
    assert missing == [], f"run `make translations` and translate: {missing[:20]}"


def test_translations_keep_the_placeholders():
    placeholder = re.compile(r"%\(\w+\)[sd]")
    wrong = []
    for m in _read_catalog():
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        wanted = set().union(*(placeholder.findall(i) for i in ids)) - {"%(num)s"}
        got = set().union(*(placeholder.findall(s) for s in strings)) - {"%(num)s"}
        if got != wanted:
            wrong.append(ids[0])
    assert wrong == []
