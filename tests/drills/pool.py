"""The body of one process in the license-pool drill (importable, so a spawned process can run it)."""
from __future__ import annotations


def assign_repeatedly(config: dict, ids: tuple[int, int, int, int], attempts: int, start, results) -> None:
    """Each attempt is one request's worth of work: assign 3, 2 or 1 licenses, commit or roll back."""
    from app import create_app
    from models import Customer, Order, User, db
    from services.orders import assignments
    from services.orders.assignments import AssignmentError

    user_id, order_id, line_id, customer_id = ids
    app = create_app(config)
    granted, refused = [], 0
    with app.app_context():
        db.session.execute(db.select(1))  # connect before the start line
        start.wait(30)
        for n in range(attempts):
            quantity = 3 - n % 3
            try:
                order, customer = db.session.get(Order, order_id), db.session.get(Customer, customer_id)
                assignments.assign_licenses(order, line_id, customer, quantity, db.session.get(User, user_id))
                db.session.commit()
                granted.append(quantity)
            except AssignmentError:
                db.session.rollback()
                refused += 1
        db.session.remove()
        db.engine.dispose()
    results.put((granted, refused))
