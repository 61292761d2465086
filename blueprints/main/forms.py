from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from blueprints.choices import canonical_zone, time_zone_choices

LANGUAGE_CHOICES = [SelectChoice("", _l("As my browser")), SelectChoice("en", "English"), SelectChoice("es", "Español")]


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = time_zone_choices()  # by region, without the deprecated aliases
        if self.timezone.data:
            self.timezone.data = canonical_zone(self.timezone.data)
