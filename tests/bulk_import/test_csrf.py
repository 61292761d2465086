"""With CSRF on: the upload form and the "Run import" form carry the token, and a large body still shows the form."""
import io
import re

import pytest
import sqlalchemy as sa

from models import Import, ImportUpload, db
from tests.bulk_import import CUSTOMER_HEADER, csv_bytes, customer_rows
from tests.factories import make_user


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def post_file(client, data: bytes, **form):
    return client.post("/imports/upload", content_type="multipart/form-data",
                       data={"kind": "customers", "file": (io.BytesIO(data), "c.csv"), **form})


def test_upload_and_run_need_the_forms_token(client, login):
    login(make_user())
    data = csv_bytes(CUSTOMER_HEADER, customer_rows(2))
    assert post_file(client, data).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportUpload)) == 0

    response = post_file(client, data, csrf_token=token(client.get("/imports/upload").text))
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).text
    assert client.post(response.headers["Location"] + "/run").status_code == 400
    assert client.post(response.headers["Location"] + "/run", data={"csrf_token": token(preview)}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 1


def test_a_body_over_the_limit_shows_the_form_even_before_the_token_is_read(client, login, app):
    login(make_user())
    app.config.update(MAX_CONTENT_LENGTH=500)
    response = post_file(client, csv_bytes(CUSTOMER_HEADER, customer_rows(30)),
                         csrf_token=token(client.get("/imports/upload").text))
    assert response.status_code == 422 and "The file is larger than 5 MB" in response.text
