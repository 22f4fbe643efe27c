"""Forms of the VAN pages: a mapping row, a source's VANID setting."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from fieldcrm.extensions import db
from fieldcrm.forms import FieldCRMForm, blank_to_none
from fieldcrm.labels import label
from fieldcrm.ladder.models import LadderStage
from fieldcrm.van.services import MappingInput, fieldcrm_codes

KIND_LABELS = {
    "contact_type": _l("Contact type (from the channel)"),
    "result": _l("Result (from the result code)"),
    "survey": _l("Survey question response"),
    "activist_code": _l("Activist code"),
}


def code_label(what: str, name: str, code: str) -> str:
    """How a FieldCRM code reads on the page."""
    if what == "channel":
        return _("channel: %(name)s", name=label(code, "channel"))
    if what == "conversation":
        return _("a conversation (they talked)")
    if what == "result":
        return _("result: %(name)s (%(code)s)", name=label(code, "result_code"), code=code)
    if what == "support":
        return _("support level %(n)s", n=name)
    if what == "commitment":
        kind = code.partition(":")[2]
        return _("commitment made: %(name)s", name=label(kind, "commitment_kind"))
    if what == "ladder":
        return _("ladder stage: %(name)s", name=_stage_name(code) or name)
    return code


def _stage_name(code: str) -> str:
    """A ladder stage's name in the viewer's language ("ladder:<id>"; the session's identity
    map answers after the first look-up)."""
    stage_id = code.partition(":")[2]
    stage = db.session.get(LadderStage, int(stage_id)) if stage_id.isdigit() else None
    return label(stage) if stage is not None else ""


def code_choices() -> dict[str, list[tuple[str, str]]]:
    """Every FieldCRM code, grouped by what it can map to (the page's select)."""
    facts = fieldcrm_codes("survey")
    return {
        str(KIND_LABELS["contact_type"]): [
            (c, code_label(w, n, c)) for c, w, n in fieldcrm_codes("contact_type")
        ],
        str(KIND_LABELS["result"]): [
            (c, code_label(w, n, c)) for c, w, n in fieldcrm_codes("result")
        ],
        _("Survey responses and activist codes"): [(c, code_label(w, n, c)) for c, w, n in facts],
    }


class MappingForm(FieldCRMForm):
    """Map one FieldCRM code to a VAN name (the service checks the pair fits)."""

    kind = SelectField(_l("Map to"), choices=list(KIND_LABELS.items()))
    fieldcrm_code = SelectField(_l("FieldCRM"), validate_choice=False)
    van_name = StringField(
        _l("VAN name"),
        validators=[Optional(), Length(max=120)],
        filters=[blank_to_none],
        description=_l("The contact type, result, response or activist code as VAN spells it."),
    )
    van_id = StringField(
        _l("VAN id"),
        validators=[Optional(), Length(max=20)],
        filters=[blank_to_none],
        description=_l("Contact types and results only: VAN's number for it, if you know it."),
    )
    question = StringField(
        _l("Survey question"),
        validators=[Optional(), Length(max=120)],
        filters=[blank_to_none],
        description=_l("Survey responses only: the question, which names the column."),
    )
    submit = SubmitField(_l("Add"))

    def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003 - FlaskForm's signature
        super().__init__(*args, **kwargs)
        self.fieldcrm_code.choices = code_choices()

    def to_input(self) -> MappingInput:
        return MappingInput(
            kind=self.kind.data or "",
            fieldcrm_code=self.fieldcrm_code.data or "",
            van_name=self.van_name.data or "",
            van_id=self.van_id.data,
            question=self.question.data,
        )


class SourceForm(FieldCRMForm):
    """Whether one source's voter ids are VANIDs."""

    source = HiddenField(validators=[DataRequired(), Length(max=50)])
    vanids = BooleanField(_l("Voter ids are VANIDs"))
    submit = SubmitField(_l("Save"))
