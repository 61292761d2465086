from flask import Blueprint

bp = Blueprint("auth", __name__)

from blueprints.auth import password, reset, second_step, two_factor, views  # noqa: F401
