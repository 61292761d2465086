"""A cart add from a second tab while the first confirms the order (issue 24, item 3): the add ends up in the
order or still in the cart, never acknowledged and then deleted with the ordered lines.

Deterministic, on SQLite and PostgreSQL: the second tab's add runs at a chosen point of the confirm request
(after the cart is first read; while the order is written), and the confirm goes on once the add has finished
or is waiting for a lock the confirm holds.
"""
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models import Cart, CartLine, Order, OrderLine, Role, db
from tests.checkout.support import confirm, fill_cart, walk_to_review
from tests.factories import make_product, make_user
from tests.support import wait_for


class SecondTab:
    """A request of another tab of the same user, run in its own thread at the moment `start()` is called."""

    def __init__(self, app, user, send: Callable):
        self.client = app.test_client()
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        self.send, self.response, self.error = send, None, None
        self.done, self.writing = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            self.response = self.send(self.client)
        except Exception as exc:  # reported by the test
            self.error = exc
        finally:
            self.done.set()

    def _note_write(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.current_thread() is self.thread and statement.lstrip().upper().startswith(
                ("INSERT", "UPDATE", "DELETE")):
            self.writing.set()

    def start_and_wait_until_done_or_blocked(self) -> None:
        """Run the request; return once it has finished or waits for a lock that the caller's transaction holds."""
        holding_sqlite_write_lock = _holds_sqlite_write_lock()
        sa.event.listen(Engine, "before_cursor_execute", self._note_write)
        self.thread.start()
        wait_for(lambda: self.done.is_set() or self._blocked(holding_sqlite_write_lock))

    def _blocked(self, holding_sqlite_write_lock: bool) -> bool:
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                return bool(conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                                "'Lock' AND datname = current_database()")))
        # SQLite has one write lock: a write of the other tab cannot finish before this transaction ends.
        return holding_sqlite_write_lock and self.writing.is_set()

    def finish(self):
        self.thread.join(30)
        sa.event.remove(Engine, "before_cursor_execute", self._note_write)
        assert not self.thread.is_alive() and self.error is None, self.error
        return self.response


def _holds_sqlite_write_lock() -> bool:
    connection = db.session.connection()
    return connection.dialect.name == "sqlite" and connection.connection.dbapi_connection.in_transaction


@pytest.fixture
def buyer(login):
    return login(make_user(Role.RESELLER))


@pytest.fixture
def product():
    return make_product(name="Office 2024", price=Decimal("100.00"))


def add_one(product_id: int):
    return lambda tab_client: tab_client.post("/cart/lines", data={"product_id": str(product_id), "quantity": "1"})


def after_first_cart_read(tab: SecondTab) -> Callable[[], None]:
    """Listen so that the tab's request runs right after the confirm request first reads the cart."""
    main = threading.current_thread()

    def on_execute(state):
        if threading.current_thread() is main and state.is_select and tab.thread.ident is None \
                and any(m.class_ is Cart for m in state.all_mappers):
            result = state.invoke_statement()
            tab.start_and_wait_until_done_or_blocked()
            return result
        return None

    sa.event.listen(db.session, "do_orm_execute", on_execute)
    return lambda: sa.event.remove(db.session, "do_orm_execute", on_execute)


def while_order_is_written(tab: SecondTab) -> Callable[[], None]:
    """Listen so that the tab's request runs as the confirm request inserts the order."""
    def before_insert(mapper, connection, target):
        tab.start_and_wait_until_done_or_blocked()

    sa.event.listen(Order, "before_insert", before_insert)
    return lambda: sa.event.remove(Order, "before_insert", before_insert)


def units_in_cart(product_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(CartLine.quantity), 0))
                             .where(CartLine.product_id == product_id))


def units_ordered(product_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0))
                             .where(OrderLine.product_id == product_id))


@pytest.mark.parametrize("moment, confirm_status, ordered, in_cart", [
    # The add commits before the order reads the cart under its lock: the amounts changed, nothing is ordered.
    (after_first_cart_read, 422, 0, 3),
    # The add waits for the order: the order has what was reviewed, the cart keeps the add.
    (while_order_is_written, 303, 2, 1),
])
def test_an_add_from_another_tab_during_the_confirm_is_ordered_or_kept(app, client, buyer, product, moment,
                                                                       confirm_status, ordered, in_cart):
    fill_cart(buyer, (product, 2))
    review = walk_to_review(client)
    tab = SecondTab(app, buyer, add_one(product.id))
    stop_listening = moment(tab)
    try:
        response = confirm(client, review)
    finally:
        stop_listening()
    added = tab.finish()

    assert added.status_code == 303 and added.headers["Location"] == "/cart/"  # the add was acknowledged
    assert response.status_code == confirm_status
    db.session.expire_all()
    assert (units_ordered(product.id), units_in_cart(product.id)) == (ordered, in_cart)
    assert units_ordered(product.id) + units_in_cart(product.id) == 3


def test_the_refused_confirm_shows_the_cart_as_it_is_now(app, client, buyer, product):
    """After "amounts changed", the review page quotes the cart with the other tab's line: confirming it works."""
    fill_cart(buyer, (product, 2))
    other = make_product(name="Visio 2024", price=Decimal("50.00"))
    db.session.commit()
    review = walk_to_review(client)
    tab = SecondTab(app, buyer, add_one(other.id))
    stop_listening = after_first_cart_read(tab)
    try:
        refused = confirm(client, review)
    finally:
        stop_listening()
    tab.finish()
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Visio 2024" in html

    assert confirm(client, html).status_code == 303
    db.session.expire_all()
    assert (units_ordered(product.id), units_ordered(other.id)) == (2, 1)
    assert db.session.scalar(sa.select(sa.func.count(CartLine.id))) == 0
