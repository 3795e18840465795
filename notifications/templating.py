"""The patients' SMS texts, which a cell administrator may reword: a text with named blanks ({jour}, {lieu}…) that
Aiguillage fills, and optional parts between square brackets ("[Venez à jeun.]") that give way when the SMS would be
too long or when a blank in them is empty. Only the blanks of the message's kind are accepted (no attribute, index or
format), so a text can never reach anything but the values given; the day, the time and (when the message has one)
the place must stand outside the optional parts. How the text is fitted: `patient_text`."""

from __future__ import annotations

from string import Formatter

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import MessageKind, MessageTemplate
from .patient_text import OPTIONAL_PART, parts

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
        "telephone_cellule": "02 33 00 00 00",
    },
    MessageKind.PATIENT_CANCELLED: {
        "cellule": "CSNP du Pays d'Argentan",
        "jour": "27/11",
        "heure": "14:20",
        "telephone_cellule": "02 33 00 00 00",
    },
    MessageKind.PATIENT_REORIENTED: {
        "cellule": "CSNP du Pays d'Argentan",
        "lieu": "Maison médicale de garde, 2 rue de l'Hôpital Argentan",
        "telephone_lieu": "02 33 00 00 10",
        "telephone_cellule": "02 33 00 00 00",
    },
}

# The blanks every text of the kind must keep outside its optional parts.
ESSENTIAL: dict[str, tuple[str, ...]] = {
    MessageKind.PATIENT_BOOKED: ("jour", "heure", "lieu"),
    MessageKind.PATIENT_REMINDER: ("jour", "heure", "lieu"),
    MessageKind.PATIENT_CANCELLED: ("jour", "heure"),
    MessageKind.PATIENT_REORIENTED: ("lieu",),
}

DEFAULTS: dict[str, Promise] = {
    MessageKind.PATIENT_BOOKED: _(
        "{cellule}: appointment on {jour} at {heure}, {lieu}. [Bring your carte Vitale and prescriptions.] "
        "[Questions: {telephone_cellule}.]"
    ),
    MessageKind.PATIENT_REMINDER: _(
        "{cellule}: reminder, your appointment is tomorrow {jour} at {heure}, {lieu}. "
        "[Bring your carte Vitale and prescriptions.]"
    ),
    MessageKind.PATIENT_CANCELLED: _(
        "{cellule}: your appointment on {jour} at {heure} is cancelled. The cell will call you back; "
        "if it gets worse, call the 15."
    ),
    MessageKind.PATIENT_REORIENTED: _(
        "{cellule}: for your request for care, go to {lieu}[, phone {telephone_lieu}]. "
        "If it gets worse, call the 15. [Questions: {telephone_cellule}.]"
    ),
}

UNKNOWN_BLANK = _("Unknown blank {%(name)s}: use only %(allowed)s.")
BAD_BRACES = _("A brace is not closed: write a blank as {jour}.")
BAD_BRACKETS = _("Square brackets hold an optional part, in one piece: [like this], not nested nor left open.")
ESSENTIAL_MISSING = _("The text must give %(blanks)s outside square brackets: patients need them in every SMS.")
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
    if "[" in OPTIONAL_PART.sub("", text) or "]" in OPTIONAL_PART.sub("", text):
        raise TemplateError(str(BAD_BRACKETS))
    outside = "".join(piece for piece, optional in parts(text) if not optional)
    missing = [name for name in ESSENTIAL[kind] if "{" + name + "}" not in outside]
    if missing:
        raise TemplateError(str(ESSENTIAL_MISSING) % {"blanks": ", ".join("{" + name + "}" for name in missing)})


def fill(kind: str, text: str, values: dict[str, str]) -> str:
    """The text with its blanks filled and every optional part kept (brackets removed)."""
    check(kind, text)
    whole = OPTIONAL_PART.sub(lambda match: match.group(1), text)
    return whole.format_map({name: values.get(name, "") for name in BLANKS[kind]})


def text_for(cell_id: int, kind: str) -> str:
    """The cell's wording of this message, else Aiguillage's."""
    own = MessageTemplate.objects.filter(cell_id=cell_id, kind=kind).values_list("text", flat=True).first()
    return own if own is not None else str(DEFAULTS[kind])


def wording(cell_id: int, kind: str) -> str:
    """The wording patients get: the cell's, or Aiguillage's when the cell's no longer checks."""
    text = text_for(cell_id, kind)
    try:
        check(kind, text)
    except TemplateError:
        return str(DEFAULTS[kind])
    return text
