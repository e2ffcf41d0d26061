"""Questions of words: free text, and the note that only shows text."""

from __future__ import annotations

import numpy as np
from wtforms import validators
from wtforms.fields import StringField, TextAreaField

from surveyapp.questionnaire.forms import (
    ANSWER_NEEDED,
)
from surveyapp.questionnaire.model import translate
from surveyapp.questionnaire.types.base import (
    LONG_TEXT_CAP,
    TEXT_CAP,
    QuestionType,
    _presence,
    _strip,
)
from surveyapp.questionnaire.wording import ngettext


class Text(QuestionType):
    """Free text, one line or (`appearance: multiline`) several."""

    name = "text"
    keys = ("appearance", "max_length", "required")
    appearances = ("multiline",)
    open_text = True

    def default_max_length(self, appearance):
        return LONG_TEXT_CAP if appearance == "multiline" else TEXT_CAP

    def synthetic(self, question, count, rng):
        return {question.name: np.array([f"answer {i}" for i in range(count)], dtype=object)}

    def widget(self, question):
        return "textarea" if question.appearance == "multiline" else "text"

    def fields(self, question, language):
        cap = validators.Length(
            max=question.max_length,
            message=ngettext(
                "Please keep this under %(num)d character.",
                "Please keep this under %(num)d characters.",
                question.max_length,
            ),
        )
        field = TextAreaField if question.appearance == "multiline" else StringField
        label = translate(question.label, language)
        # required: something besides spaces, which the filter strips
        presence = [validators.DataRequired(message=ANSWER_NEEDED)]
        checks = (presence if question.required else _presence(question)) + [cap]
        return {question.name: field(label, validators=checks, filters=[_strip])}

    def example_formdata(self, question):
        return {question.name: f"Answer to {question.name}"}

    def xlsform_rows(self, question, form, row, required):
        """Return a text row (long text: multiline), with its length when not the default."""
        row = {**row, **required, "type": "text", **form.length_constraint(question)}
        if question.multiline:
            row["appearance"] = "multiline"
        return [row]


class Note(QuestionType):
    """Text shown to the respondent; no answer and no column."""

    name = "note"
    keys = ()
    is_answer = False

    def columns(self, question):
        return ()

    def xlsform_rows(self, question, form, row, required):
        """Return a note row."""
        return [{**row, "type": "note"}]
