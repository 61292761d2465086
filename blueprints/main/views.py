from flask_login import current_user, login_required

from blueprints import render
from blueprints.main import bp


@bp.get("/")
@login_required
def home():
    return render("main/home.html", role=current_user.role.value)
