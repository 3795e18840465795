"""The patients' SMS texts, which a cell administrator may reword: a text with named blanks ({jour}, {lieu}…) that
Aiguillage fills. Only the blanks of the message's kind are accepted (no attribute, index or format), so a text can
never reach anything but the values given."""

from __future__ import annotations

from string import Formatter

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import MessageKind, MessageTemplate

# What each editable message may hold, with an example for the preview.
BLANKS: dict[str, dict[str, str]] = {
    MessageKind.PATIENT_BOOKED: {
        "cellule": "CSNP du Pays d'Argentan",
        "jour": "27/11",
        "heure": "14:20",
        "lieu": "Maison de santé du Val, 3 rue des Lilas Argentan",
        "telephone_cellule": "02 33 00 00 00",
    },
    MessageKind.PATIENT_REMINDER: {
        "cellule": "CSNP du Pays d'Argentan",
        "jour": "27/11",
        "heure": "14:20",
        "lieu": "Maison de santé du Val, 3 rue des Lilas Argentan",
    },
    MessageKind.PATIENT_CANCELLED: {"cellule": "CSNP du Pays d'Argentan", "jour": "27/11", "heure": "14:20"},
}

DEFAULTS: dict[str, Promise] = {
    MessageKind.PATIENT_BOOKED: _(
        "{cellule}: appointment on {jour} at {heure}, {lieu}. Bring your carte Vitale and prescriptions. "
        "To cancel, call {telephone_cellule}."
    ),
    MessageKind.PATIENT_REMINDER: _("{cellule}: reminder, your appointment is tomorrow {jour} at {heure}, {lieu}."),
    MessageKind.PATIENT_CANCELLED: _(
        "{cellule}: your appointment on {jour} at {heure} is cancelled. The cell will call you back; "
        "if it gets worse, call the 15."
    ),
}

UNKNOWN_BLANK = _("Unknown blank {%(name)s}: use only %(allowed)s.")
BAD_BRACES = _("A brace is not closed: write a blank as {jour}.")
EMPTY = _("Write the text of the message.")


class TemplateError(ValueError):
    pass


def check(kind: str, text: str) -> None:
    """Raise TemplateError (in French) unless the text uses only its kind's blanks, plainly."""
    if not text.strip():
        raise TemplateError(str(EMPTY))
    allowed = BLANKS[kind]
    try:
        parsed = list(Formatter().parse(text))
    except ValueError as error:
        raise TemplateError(str(BAD_BRACES)) from error
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            raise TemplateError(
                str(UNKNOWN_BLANK) % {"name": name, "allowed": ", ".join("{" + blank + "}" for blank in allowed)}
            )


def fill(kind: str, text: str, values: dict[str, str]) -> str:
    check(kind, text)
    return text.format_map({name: values.get(name, "") for name in BLANKS[kind]})


def text_for(cell_id: int, kind: str) -> str:
    """The cell's wording of this message, else Aiguillage's."""
    own = MessageTemplate.objects.filter(cell_id=cell_id, kind=kind).values_list("text", flat=True).first()
    return own if own is not None else str(DEFAULTS[kind])


def render(cell_id: int, kind: str, values: dict[str, str]) -> str:
    """The message's text filled with these values; a stored text that no longer checks falls back on the default."""
    try:
        return fill(kind, text_for(cell_id, kind), values)
    except TemplateError:
        return fill(kind, str(DEFAULTS[kind]), values)
