"""The Spanish catalog compiled from the .po before these tests (`make test` does it too; plain pytest doesn't)."""
from __future__ import annotations

import os

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.i18n.test_catalog import PO_FILE


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog():
    mo_file = PO_FILE.with_suffix(".mo")
    if not mo_file.exists() or mo_file.stat().st_mtime < PO_FILE.stat().st_mtime:
        with PO_FILE.open("rb") as f:
            catalog = read_po(f)
        partial = mo_file.with_name(f"{mo_file.name}.{os.getpid()}")  # xdist workers may compile at once
        with partial.open("wb") as f:
            write_mo(f, catalog)
        os.replace(partial, mo_file)
    return mo_file
