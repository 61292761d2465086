"""Country, currency and time zone pickers offer current ISO codes, named in the reader's language (issue 23)."""
from blueprints.choices import country_codes, currency_codes, time_zones
from tests.factories import make_user


def test_the_code_lists_are_current():
    assert len(country_codes()) == 249 and {"UY", "AR", "SS"} <= country_codes()
    assert not {"DD", "YU", "EU", "XK", "ZZ"} & country_codes()
    assert {"USD", "UYU", "EUR", "VES"} <= currency_codes() and not {"DEM", "UYI", "VEF", "XXX"} & currency_codes()
    zones = set(time_zones())
    assert {"America/Montevideo", "America/Argentina/Buenos_Aires", "Europe/Kyiv"} <= zones
    assert not {"US/Eastern", "America/Buenos_Aires", "Europe/Kiev", "Etc/GMT+3", "UTC"} & zones


def test_the_customer_form_names_countries_and_currencies_in_the_viewers_language(client, login):
    login(make_user(locale="es"))
    page = client.get("/customers/new").text
    assert 'value="UY">Uruguay (UY)</option>' in page and '<option value="DE">Alemania (DE)</option>' in page
    assert page.index("Antártida (AQ)") < page.index("Antigua y Barbuda (AG)") < page.index("Arabia Saudí (SA)")
    assert "USD · dólar estadounidense" in page
    assert client.post("/customers/", data={"code": "C-1", "name": "Pampa", "email": "it@pampa.test",
                                             "country": "uy", "currency": "usd", "language": "es"}).status_code == 303


def test_the_time_zone_picker_is_grouped_by_region(client, login):
    login(make_user(timezone="America/Buenos_Aires"))  # an old alias: shown as its current name
    page = client.get("/preferences").text
    assert '<optgroup label="America">' in page and '<optgroup label="Europe">' in page
    assert '<option selected value="America/Argentina/Buenos_Aires">Argentina / Buenos Aires</option>' in page
    assert "US/Eastern" not in page
