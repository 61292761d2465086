"""Helpers for tests that need a filled cart or a walk through the checkout."""
from __future__ import annotations

import re

from models import Product, User, db
from services.orders import cart as carts


def fill_cart(user: User, *items: tuple[Product, int]) -> None:
    for product, quantity in items:
        carts.add_to_cart(user, product.id, quantity)
    db.session.commit()


def review_fields(html: str) -> dict[str, str]:
    """The hidden token and quote of the review form, as a browser would post them."""
    return {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1) for name in ("token", "quote")}


def walk_to_review(client, email: str = "buyer@example.com", description: str = "PO-1234",
                   method: str = "electronic") -> str:
    """Complete the first three steps; returns the review page's HTML."""
    assert client.post("/checkout/details", data={"confirmation_email": email,
                                                   "description": description}).status_code == 303
    assert client.post("/checkout/delivery", data={"delivery_method": method,
                                                    "delivery_comments": "Deliver by e-mail"}).status_code == 303
    assert client.post("/checkout/amount").status_code == 303
    response = client.get("/checkout/review")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(client, html: str, **extra):
    return client.post("/checkout/review", data={**review_fields(html), **extra})
