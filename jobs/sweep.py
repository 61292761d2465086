"""The sweep: every minute, re-enqueue whatever is due but may have lost its job."""
from __future__ import annotations

from jobs.billing import enqueue_missed_closes
from jobs.bulk_import import sweep_file_imports
from jobs.provisioning import sweep_imports
from models import utcnow
from queues import LAST_SWEEP_KEY, enqueue_unique, get_redis
from services.mail import outbox


def sweep() -> dict[str, int]:
    """Safe to run any number of times: it only enqueues idempotent jobs with stable ids."""
    emails = 0
    for email_id in outbox.due_ids():
        emails += enqueue_unique("mail", outbox.SEND_JOB, email_id, job_id=outbox.send_job_id(email_id))
    imports = {key: n for key, n in sweep_imports().items() if n}  # reported only when it did something
    if file_imports := sweep_file_imports():
        imports["file_imports_enqueued"] = file_imports
    if enqueue_missed_closes(utcnow()):  # the month's close did not run on the 1st
        imports["missed_closes_enqueued"] = 1
    get_redis().set(LAST_SWEEP_KEY, utcnow().isoformat())
    return {"emails": emails, **imports}
