import sqlalchemy as sa

from blueprints import render
from blueprints.admin import bp
from models import EmailStatus, OutboxEmail, db


@bp.get("/")
def index():
    failed_emails = db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxEmail).where(OutboxEmail.status == EmailStatus.FAILED))
    return render("admin/index.html", failed_emails=failed_emails)
