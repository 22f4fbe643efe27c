"""Conversation forms: the one-on-one (with commitment rows), list entries for admins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fieldcrm.commitments.services import CommitmentInput
from fieldcrm.contacts.forms import _int_or_none
from fieldcrm.conversations.services import ConversationInput
from fieldcrm.forms import FieldCRMForm, blank_to_none
from fieldcrm.labels import choices_of

CHANNEL_CHOICES = choices_of("channel")
SUPPORT_RADIOS = [
    ("1", _l("1 Strong yes")),
    ("2", _l("2 Lean yes")),
    ("3", _l("3 Undecided")),
    ("4", _l("4 Lean no")),
    ("5", _l("5 Strong no")),
]
RESPONSE_CHOICES = choices_of("response")
COMMITMENT_ROWS = 3  # blank rows rendered; "add another" (static/js/conversations.js) adds more


class ChipsField(SelectMultipleField):
    """Checkboxes rendered as tap-to-select chips."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CommitmentRowForm(Form):
    """One commitment made in the conversation (a blank row is ignored)."""

    kind = SelectField(_l("They commit to"), validate_choice=False)
    details = StringField(
        _l("Details"), validators=[Optional(), Length(max=500)], filters=[blank_to_none]
    )
    due_date = DateField(_l("By"), validators=[Optional()])
    owner_id = SelectField(_l("Who follows up"), coerce=_int_or_none, validate_choice=False)


class ConversationFields(FieldCRMForm):
    """What a logged conversation holds; nothing is required."""

    channel = RadioField(_l("How"), choices=CHANNEL_CHOICES, default="door")
    result_code = SelectField(_l("Result"), validate_choice=False, filters=[blank_to_none])
    support_level = RadioField(
        _l("Support level"), choices=SUPPORT_RADIOS, coerce=_int_or_none, validators=[Optional()]
    )
    issues = ChipsField(_l("Issues they care about"), validate_choice=False)
    issues_text = StringField(
        _l("Other issues, in their words"),
        validators=[Optional(), Length(max=500)],
        filters=[blank_to_none],
    )
    story = TextAreaField(
        _l("Their story"), validators=[Optional(), Length(max=10000)], filters=[blank_to_none]
    )
    agitation = TextAreaField(
        _l("Agitation"),
        validators=[Optional(), Length(max=10000)],
        filters=[blank_to_none],
        description=_l("Who holds power over it, and what would it take?"),
    )
    ask_kind = SelectField(_l("The ask"), validate_choice=False, filters=[blank_to_none])
    ask_text = StringField(
        _l("Ask, in words"), validators=[Optional(), Length(max=500)], filters=[blank_to_none]
    )
    response = RadioField(_l("Their response"), choices=RESPONSE_CHOICES, validators=[Optional()])
    follow_up_date = DateField(_l("Follow up on"), validators=[Optional()])
    notes = TextAreaField(
        _l("Notes and assessment"),
        validators=[Optional(), Length(max=10000)],
        filters=[blank_to_none],
    )

    def set_choices(self, lists: dict[str, list[tuple[str, str]]]) -> None:
        """Fill the configurable lists (result codes, issues, ask kinds)."""
        self.result_code.choices = [("", _l("We talked")), *lists["result_code"]]
        self.issues.choices = lists["issue"]
        self.ask_kind.choices = [("", _l("No ask")), *lists["ask_kind"]]

    def to_input(self, commitments: tuple[CommitmentInput, ...] = (), key: str | None = None):
        return ConversationInput(
            channel=self.channel.data or "door",
            result_code=self.result_code.data or None,
            support_level=self.support_level.data,
            issues=tuple(self.issues.data or ()),
            issues_text=self.issues_text.data,
            story=self.story.data,
            agitation=self.agitation.data,
            ask_kind=self.ask_kind.data,
            ask_text=self.ask_text.data,
            response=self.response.data or None,
            notes=self.notes.data,
            follow_up_date=self.follow_up_date.data,
            commitments=commitments,
            idempotency_key=key,
        )


class LogConversationForm(ConversationFields):
    """Logging: a one-tap attempt or the structured one-on-one with its commitments."""

    idempotency_key = HiddenField()
    commitments = FieldList(FormField(CommitmentRowForm), min_entries=COMMITMENT_ROWS)
    submit = SubmitField(_l("Save conversation"))

    def set_commitment_choices(
        self, kinds: list[tuple[str, str]], owners: list[tuple[int, str]], default_owner: int
    ) -> None:
        for row in self.commitments:
            row.form.kind.choices = [("", _l("(none)")), *kinds]
            row.form.owner_id.choices = owners
            if row.form.owner_id.data is None:
                row.form.owner_id.data = default_owner

    def commitment_inputs(self) -> tuple[CommitmentInput, ...]:
        """The filled-in commitment rows (a row without a kind is blank)."""
        return tuple(
            CommitmentInput(
                kind=row.form.kind.data,
                description=row.form.details.data,
                due_date=row.form.due_date.data,
                owner_id=row.form.owner_id.data,
            )
            for row in self.commitments
            if row.form.kind.data
        )


class EditConversationForm(ConversationFields):
    submit = SubmitField(_l("Save changes"))


PHRASE_HINT = _l(
    "How a follow-up text names it, article included: “Just checking in about your "
    "volunteer shift”. Blank: its label in quotes."
)


class ChoiceAddForm(FieldCRMForm):
    list_name = HiddenField(validators=[DataRequired()])
    label = StringField(_l("New entry"), validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("Code (optional)"),
        validators=[Optional(), Length(max=40)],
        description=_l("Stored on records and in exports; made from the label when blank."),
    )
    phrase = StringField(
        _l("Phrase"),
        validators=[Optional(), Length(max=160)],
        filters=[blank_to_none],
        description=PHRASE_HINT,
    )
    submit = SubmitField(_l("Add"))


class ChoiceEditForm(FieldCRMForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    position = IntegerField(_l("Order"), validators=[NumberRange(min=0, max=10000)], default=0)
    active = BooleanField(_l("In use"))
    phrase = StringField(
        _l("Phrase"),
        validators=[Optional(), Length(max=160)],
        filters=[blank_to_none],
        description=PHRASE_HINT,
    )
    submit = SubmitField(_l("Save"))
