"""HTML of the answer options, built in Python: the hot path of every questionnaire page."""

from __future__ import annotations

from markupsafe import Markup, escape

from surveyapp.questionnaire.model import Question, translate

_CHOICES: dict[tuple, tuple[Question, list[tuple[str, str, str]]]] = {}


def _choice_parts(question: Question, language: str | None) -> list[tuple[str, str, str]]:
    """Return each choice's name, escaped name and escaped label, worked out once."""
    key = (id(question), language)
    kept = _CHOICES.get(key)
    if kept is None:
        parts = [(c.name, str(escape(c.name)), str(escape(translate(c.label, language))))
                 for c in question.choices]  # fmt: skip
        if len(_CHOICES) > 5000:
            _CHOICES.clear()
        kept = _CHOICES[key] = (question, parts)  # holding the question keeps its id unique
    return kept[1]


def option_list(question: Question, field, input_type: str, language: str | None) -> Markup:
    """Return the labelled radio buttons or check boxes of a field, its answers checked."""
    if input_type == "checkbox":
        chosen = {str(value) for value in field.data or []}
    else:
        chosen = {str(field.data)} if field.data is not None else set()
    field_id, name = escape(field.id), escape(field.name)
    html = ['<div class="options">']
    for position, (value, escaped_value, label) in enumerate(_choice_parts(question, language)):
        checked = " checked" if value in chosen else ""
        html.append(
            f'<label class="option"><input type="{input_type}" id="{field_id}-{position}"'
            f' name="{name}" value="{escaped_value}"{checked}> <span>{label}</span></label>'
        )
    html.append("</div>")
    return Markup("".join(html))  # noqa: S704 - every part above is escaped
