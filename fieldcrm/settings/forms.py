"""The Settings page's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from fieldcrm.forms import FieldCRMForm, strip
from fieldcrm.settings.services import MapTilesInput


class MapTilesForm(FieldCRMForm):
    url = StringField(
        _l("Tile URL"),
        validators=[Optional(), Length(max=500)],
        filters=[strip],
        description=_l(
            "A map tile address with {z}, {x} and {y}, e.g. "
            "https://tiles.example.org/{z}/{x}/{y}.png. Leave it blank to use the "
            "server's configuration."
        ),
    )
    attribution = StringField(
        _l("Credit shown on the map"),
        validators=[Optional(), Length(max=300)],
        filters=[strip],
        description=_l("Plain text, e.g. © OpenStreetMap contributors"),
    )
    attribution_url = StringField(
        _l("Credit link"),
        validators=[Optional(), Length(max=500)],
        filters=[strip],
        description=_l("Where the credit links to, e.g. https://www.openstreetmap.org/copyright"),
    )
    submit = SubmitField(_l("Save map settings"))

    def to_input(self) -> MapTilesInput:
        return MapTilesInput(
            url=self.url.data,
            attribution=self.attribution.data,
            attribution_url=self.attribution_url.data,
        )
