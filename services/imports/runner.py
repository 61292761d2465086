"""The one runner: each pending item of claimed work is validated again and performed by its kind
(services.imports.kinds), under its idempotency key; services.imports.writer records the results.

Both sources go through it: a batch of due scheduled imports (`run_claimed`), and each chunk of a CSV file's
rows once they are items (services.imports.bulk_import). Reasons are stored in English (jobs run in "en");
pages and e-mails translate them (|reason).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from models import ImportStatus, ItemStatus
from services import DomainError
from services.connectors import ConnectorError
from services.imports import completion, import_batch, kinds, writer
from services.imports.import_batch import BatchImport, BatchItem, Outcome

log = logging.getLogger(__name__)


def run_items(imports: Sequence[BatchImport], heartbeat: Callable[[], None] | None = None) -> list[Outcome]:
    """Validate and perform the PENDING items of `imports` (a retried import's completed ones never run again).

    Each kind loads what it reads once for the batch; `heartbeat`, if given, is called after each import's
    vendor calls (the caller renews the lease there). No writes."""
    pending = [item for imp in imports for item in imp.items if item.status is ItemStatus.PENDING]
    contexts = {name: kinds.get(name).load([item for item in pending if item.kind == name])
                for name in dict.fromkeys(item.kind for item in pending)}
    outcomes = []
    with force_locale("en"):
        for imp in imports:
            outcomes.extend(_run_item(item, contexts[item.kind]) for item in imp.items
                            if item.status is ItemStatus.PENDING)
            if heartbeat is not None:
                heartbeat()
    return outcomes


def _run_item(item: BatchItem, context) -> Outcome:
    kind = kinds.get(item.kind)
    try:
        reasons = kind.validate(context, item, True)
        if reasons:
            return Outcome(item, reasons)
        return Outcome(item, [], kind.perform(context, item, kinds.idempotency_key(item)))
    except SQLAlchemyError:
        raise
    except (ConnectorError, DomainError) as exc:  # the vendor or the kind refused: the reason is its message
        return Outcome(item, [str(exc)])
    except Exception as exc:  # a bug or a vendor surprise must fail this item, not the whole batch
        log.exception("import %s item %s failed unexpectedly", item.import_id, item.id)
        return Outcome(item, [unexpected_error(exc)])


def unexpected_error(exc: BaseException) -> str:
    with force_locale("en"):
        return _("Unexpected error (%(kind)s); the distributor has been notified.", kind=type(exc).__name__)


def run_claimed(token: str, ids: Sequence[int], heartbeat: Callable[[], None] | None = None) -> int:
    """Run the claimed scheduled imports `ids` to their end; returns how many results were written (flush only).

    The vendor calls come first; then the batch's writes are a few statements (services.imports.writer)."""
    imports = import_batch.load_batch(ids)
    outcomes = run_items(imports, heartbeat)
    by_import: dict[int, list[Outcome]] = {imp.id: [] for imp in imports}
    for outcome in outcomes:
        by_import[outcome.item.import_id].append(outcome)
    progress, ended = [], []
    for imp in imports:
        ran = by_import[imp.id]
        failed = sum(1 for o in ran if o.reasons)
        status = ImportStatus.FAILED if failed else ImportStatus.COMPLETED
        progress.append(writer.Progress(imp.id, len(ran), len(ran) - failed, failed, status))
        ended.append(completion.Ended(
            imp.id, imp.source, imp.name, imp.import_type, imp.created_at, imp.creator_email, imp.creator_name,
            imp.creator_locale, status, len(imp.items) - failed, failed,  # completed by an earlier attempt count too
            [(o.item.row_number, o.reasons) for o in ran if o.reasons]))
    return len(writer.write(token, progress, outcomes, completion.emails(ended)))
