"""Two admins take each other's admin role away at the same moment: one of them stays admin (SQLite and PostgreSQL).

Deterministic: the second change runs in its own thread while the first one's transaction is open, and the
first commits once the second has finished or waits for the lock the first holds."""
import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models import TeamRole, User, db
from services.accounts import resellers
from tests.factories import make_user
from tests.support import wait_for


class OtherRequest:
    """`change(user_id, actor_id)` in its own thread, app context and database connection."""

    def __init__(self, app, change):
        self.app, self.change, self.error = app, change, None
        self.done, self.writing = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        with self.app.app_context():
            try:
                self.change()
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                self.error = exc
            finally:
                db.session.remove()
                self.done.set()

    def _note_write(self, conn, cursor, statement, *args) -> None:
        if threading.current_thread() is self.thread and statement.lstrip().upper().startswith("UPDATE"):
            self.writing.set()

    def start_and_wait_until_done_or_blocked(self) -> None:
        sa.event.listen(Engine, "before_cursor_execute", self._note_write)
        self.thread.start()
        wait_for(lambda: self.done.is_set() or self._blocked())

    def _blocked(self) -> bool:
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                return bool(conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                                "'Lock' AND datname = current_database()")))
        return self.writing.is_set()  # SQLite: one writer; this test's open transaction holds the write lock

    def finish(self) -> None:
        self.thread.join(30)
        sa.event.remove(Engine, "before_cursor_execute", self._note_write)
        assert not self.thread.is_alive()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app):
    ana = make_user(name="Ana", team_role=TeamRole.ADMIN)
    ben = make_user(name="Ben", team_role=TeamRole.ADMIN, reseller=ana.reseller)
    db.session.commit()
    ana_id, ben_id = ana.id, ben.id

    def ana_demotes_ben():
        resellers.change_team_role(db.session.get(User, ben_id), TeamRole.VIEWER, by=db.session.get(User, ana_id))

    resellers.change_team_role(ana, TeamRole.BUYER, by=ben)  # Ben's request: written, not committed yet
    db.session.flush()
    other = OtherRequest(app, ana_demotes_ben)
    other.start_and_wait_until_done_or_blocked()
    db.session.commit()
    other.finish()

    assert isinstance(other.error, resellers.LastAdminError), other.error
    db.session.expire_all()
    assert db.session.get(User, ben_id).team_role is TeamRole.ADMIN
    assert db.session.get(User, ana_id).team_role is TeamRole.BUYER
