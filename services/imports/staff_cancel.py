"""Staff cancelling a reseller's import: the reseller hears of it (issue 23), from its creator's inbox."""
from __future__ import annotations

from models import Import, User, db
from services.imports import imports
from services.mail import outbox


def cancel_for_reseller(import_id: int, staff: User) -> Import:
    """Cancel a PENDING import (imports.cancel_import) and e-mail its creator, in their language."""
    imp = db.session.get(Import, import_id)
    imports.cancel_import(imp.reseller_id, imp.id, staff)
    db.session.refresh(imp)
    creator = imp.created_by
    with outbox.in_language_of(creator):
        outbox.queue_email(creator.email, "import_cancelled", related=imp, imp=imp, user=creator,
                           imports_url=outbox.public_url("imports.index"))
    return imp
