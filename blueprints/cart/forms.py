from flask_wtf import FlaskForm

from blueprints.catalog.forms import quantity_field


class QuantityForm(FlaskForm):
    quantity = quantity_field()
