"""Subscriptions after provisioning (issue 21).

- `terms`: the money and time rules, pure functions: TERMS (billing type -> term length, billing frequency,
  words), add_months/term_end (month-end clamping, leap years), initial_term() (the term columns of a new
  or renewed subscription), window_end()/hours_left(), cents() (half up), and `Seats(...)` with
  charge_at_adding(), charged_by(at), used_by(at), credit_at(at) for proration of a lot of seats.
- `timeline`: writing what happened: record_provisioned(subscription_ids) (set-based: the provisioned event
  and the first seat lot of each new subscription; services.provisioning calls it wherever subscriptions are
  created), record(subscription, kind, actor, **details) (one event, impersonation-aware like audit),
  add_seats(subscription, quantity, at, unit_price) (a lot with its own window), open_term_lot(subscription)
  (the lot of the whole quantity at a renewal), current_lots()/removable_seats() (what a decrease may take).
- `listing`: the Subscriptions list's filtered select (reseller's and staff's), its page and CSV rows.
- `staff`: suspend and reactivate with a reason (audited, the reseller told by e-mail).
- `renewals`: the periodic job's term ends (one import per reseller, term-end second and outcome) and reminders;
  `term_end_rows` (what renew/expire read, as rows), `renewal_writes` (renewals and expiries written set-based, one
  e-mail per import), `seat_writes` (a batch's seat additions written set-based).

The actions (cancel, change quantity, auto-renew, renew/expire, scheduled changes) run as kinds of import
items through the import engine and use `terms` and `timeline` for their figures and their record.
"""
