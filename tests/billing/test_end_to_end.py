"""Issue 22, proven end to end: a price change between scheduling and provisioning; the subscription, its charges
and the statement use the price of the provisioning day."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from jobs.provisioning import run_due_imports
from models import ChargeKind, db, utcnow
from services.billing import fees, statements
from tests.provisioning import cloud_setup, due_now, subscriptions_of

pytestmark = pytest.mark.usefixtures("app")


def test_the_statement_bills_the_price_of_the_provisioning_day(app):
    app.config["TAX_RATE"] = "0.10"
    user, customer, product = cloud_setup(price=Decimal("15.00"))
    imp = due_now(user, customer, product, quantity=3, billing_type="P1Y-monthly")
    product.price = Decimal("16.40")  # changed after scheduling, before the run
    db.session.commit()
    assert run_due_imports() == 1
    [subscription] = subscriptions_of(imp.id)
    assert subscription.unit_price == Decimal("16.40")
    fees.write_due_fees(utcnow() + timedelta(seconds=1))
    db.session.commit()
    [charge] = statements.charges_of(user.reseller_id, subscription_id=subscription.id)
    assert charge.kind is ChargeKind.SUBSCRIPTION_FEE and charge.amount == Decimal("49.20")  # 3 x 16.40
    [statement_id] = statements.close_month(statements.period_of(utcnow()))
    statement = statements.reseller_statement(user.reseller_id, statement_id)
    assert (statement.subtotal, statement.tax, statement.total) == (Decimal("49.20"), Decimal("4.92"),
                                                                    Decimal("54.12"))
