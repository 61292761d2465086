"""Import accounts: upload a CSV, preview every row, run it with a progress bar, download the failed rows."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from blueprints import render
from blueprints.auth.forms import EmptyForm
from blueprints.imports import bp
from extensions import htmx
from models import ImportSource, db
from services import locales
from services.imports import bulk_import, csv_import, listing, uploads
from services.imports.bulk_import import UploadError
from services.imports.csv_import import CsvImportError
from services.numbers import page_number


class UploadForm(FlaskForm):
    kind = SelectField(_l("The file contains"),
                       choices=[SelectChoice(k, label) for k, label in csv_import.KINDS.items()])
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to upload."))])


def _max_mb() -> str:
    return f"{round(current_app.config['IMPORT_MAX_BYTES'] / 2**20, 1):g}"


def _form_page(form: UploadForm, status: int = 200):
    return render("imports/upload.html", block="upload_form", form=form, max_mb=_max_mb(),
                  max_rows=current_app.config["IMPORT_MAX_ROWS"], kinds=csv_import.KINDS), status


@bp.get("/upload")
def upload_new():
    return _form_page(UploadForm(kind=request.args.get("kind", "customers")))


@bp.post("/upload")
def upload_create():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            upload = uploads.save_upload(current_user.reseller, current_user, form.kind.data,
                                             form.file.data.filename, form.file.data.read())
        except CsvImportError as exc:
            db.session.rollback()
            form.file.errors = [str(exc)]
        else:
            db.session.commit()
            return redirect(url_for("imports.upload_show", upload_id=upload.id), 303)
    return _form_page(form, 422)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    # Flask refused the body before any view read it; show the form again with the limit, not an error page.
    form = UploadForm(formdata=None)
    form.file.errors = [csv_import.too_large_message(current_app.config["IMPORT_MAX_BYTES"])]
    return _form_page(form, 422)


@bp.get("/upload/template-<kind>.csv")
def upload_template(kind: str):
    if kind not in csv_import.KINDS:
        abort(404)
    return _csv(csv_import.template_csv(kind), f"canal-{kind}-template.csv")


@bp.get("/uploads/<int:upload_id>")
def upload_show(upload_id: int):
    upload = _upload_or_404(upload_id)
    if upload.import_id is not None:
        return redirect(url_for("imports.file_show", import_id=upload.import_id), 303)
    only_invalid = request.args.get("invalid") == "1"
    result = uploads.preview(upload, current_user.reseller, request.args.get("page", 1, type=page_number), only_invalid)
    return render("imports/upload_preview.html", block="preview_rows", upload=upload, preview=result)


@bp.post("/uploads/<int:upload_id>/run")
def upload_run(upload_id: int):
    upload = _upload_or_404(upload_id)
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("imports.upload_show", upload_id=upload.id), 303)
    try:
        imp = bulk_import.start_import(upload, current_user)
    except UploadError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        upload = _upload_or_404(upload_id)
        return redirect(url_for("imports.file_show", import_id=upload.import_id)
                        if upload.import_id else url_for("imports.index"), 303)
    db.session.commit()
    return redirect(url_for("imports.file_show", import_id=imp.id), 303)


@bp.get("/<int:import_id>/file")
def file_show(import_id: int):
    imp = _file_import_or_404(import_id)
    html = render("imports/upload_progress.html", block="progress", imp=imp)
    # 286 tells htmx to stop polling: the import has finished.
    return html, 286 if htmx and not htmx.boosted and not imp.is_active else 200


@bp.get("/<int:import_id>/failed-rows.csv")
def failed_rows(import_id: int):
    imp = _file_import_or_404(import_id)
    return _csv(bulk_import.failed_rows_csv(imp, locales.translate_stored), f"failed-rows-{imp.id}.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(text.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _upload_or_404(upload_id: int):
    upload = uploads.get_upload(current_user.reseller_id, upload_id)
    if upload is None:
        abort(404)
    return upload


def _file_import_or_404(import_id: int):
    imp = listing.get_import(current_user.reseller_id, import_id)
    if imp is None or imp.source is not ImportSource.FILE:
        abort(404)
    return imp
