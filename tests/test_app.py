import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import config
from app import create_app
from models import Customer, Product, Role, User, db
from services.accounts import accounts


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("CANAL_ENV", "production")
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app()


def test_an_sqlite_too_old_for_canal_is_refused_at_start_with_what_to_do(monkeypatch):
    monkeypatch.setattr(config.sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(config.sqlite3, "sqlite_version", "3.31.1")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///canal.db")
    with pytest.raises(config.ConfigError, match=r"needs SQLite 3\.35 or newer, with JSON; this Python has 3\.31\.1"):
        create_app()


def test_production_with_secret_key_uses_secure_cookies(monkeypatch):
    monkeypatch.setenv("CANAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.com")  # production refuses the dev mail catcher
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == "s" * 40


def test_environment_variables_configure_the_app(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://canal@db.internal/canal")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.com")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://canal@db.internal/canal"
    assert (app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"]) == \
        ("smtp.example.com", 2525, True)
    assert app.config["MAIL_CATCHER_DIR"] is None  # a real mail server turns the catcher off


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == [], "models changed without a migration: run `flask db migrate`"


def test_users_create_asks_for_the_password(runner):
    result = runner.invoke(args=["users", "create", "--role", "staff", "Ana@Example.com"],
                           input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    user = accounts.find_user("ana@example.com")
    assert user.role is Role.STAFF and user.reseller is None
    assert accounts.authenticate("ana@example.com", "s3cret-pass") == user


def test_users_create_reseller_needs_a_reseller_and_refuses_duplicates(runner):
    result = runner.invoke(args=["users", "create", "--role", "reseller", "r@example.com"],
                           input="pw123456\npw123456\n")
    assert result.exit_code != 0 and "need a reseller" in result.output
    ok = runner.invoke(args=["users", "create", "--role", "reseller", "--reseller", "Acme SA", "r@example.com"],
                       input="pw123456\npw123456\n")
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["users", "create", "--role", "ops", "r@example.com"], input="pw123456\npw123456\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_demo_seed_is_idempotent_and_complete(runner):
    for _ in range(2):
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    emails = set(db.session.scalars(db.select(User.email)))
    assert emails == {"reseller@demo.test", "reseller2@demo.test", "buyer@demo.test", "viewer@demo.test",
                      "staff@demo.test", "ops@demo.test"}
    andes = accounts.find_user("reseller@demo.test").reseller
    team = {u.email: u.team_role.value for u in db.session.scalars(db.select(User).filter_by(reseller=andes))}
    assert team == {"reseller@demo.test": "admin", "buyer@demo.test": "buyer", "viewer@demo.test": "viewer"}
    assert accounts.authenticate("reseller2@demo.test", "demo1234").reseller.name == "Rio de la Plata IT SRL"
    names = set(db.session.scalars(db.select(Product.name)))
    assert {"Windows 11 Pro", "Office Home & Business 2024", "Microsoft Organization tenant",
            "(NCE) Microsoft 365 Business Standard", "Azure Plan"} <= names
    standard = db.session.scalar(db.select(Product).filter_by(name="(NCE) Microsoft 365 Business Standard"))
    assert standard.prerequisite.name == "Microsoft Organization tenant"
    assert db.session.scalar(db.select(Product).filter_by(sku="MS-TENANT")).once_per_account
    assert db.session.scalar(db.select(db.func.count()).select_from(Customer)) >= 4
