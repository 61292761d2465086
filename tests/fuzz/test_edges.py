"""The input edges the fuzzing found: NUL characters (PostgreSQL refuses them in text) and ids beyond its
integer range answer 400 and 404 on every database, never a 500."""
import pytest

from tests.factories import make_user
from tests.fuzz.targets import row_counts


def test_a_nul_character_in_a_form_or_query_is_refused_with_400_and_nothing_written(client, login):
    login(make_user())
    before = row_counts()
    form = {"code": "C-1\x00", "name": "Acme", "email": "it@acme.example", "language": "en"}
    assert client.post("/customers/", data=form).status_code == 400
    assert client.get("/customers/?q=a%00b").status_code == 400
    assert client.post("/customers/", data={**form, "code": "C-1"}).status_code == 303  # the control
    assert row_counts()["customer"] == before["customer"] + 1


@pytest.mark.parametrize("url", ["/customers/2147483648", "/licenses/orders/99999999999999999999",
                                 "/imports/2147483648/items", "/checkout/done/2147483648"])
def test_ids_beyond_the_database_integer_range_are_404(client, login, url):
    login(make_user())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("product_id", ["²", "2147483648", "-1", "0"])
def test_adding_an_impossible_product_id_to_the_cart_is_404(client, login, product_id):
    login(make_user())
    assert client.post("/cart/lines", data={"product_id": product_id, "quantity": "1"}).status_code == 404
