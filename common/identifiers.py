"""Checks of the French identifiers that the directory holds. Plain Python, no Django model.

Each check returns the normalised value and a list of warnings, or raises `InvalidIdentifier` with a French message
(translatable) that a form shows on the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

RPPS_INVALID = _("An RPPS number has exactly 11 digits.")
RPPS_KEY_WARNING = _("This RPPS number fails its check key: check it against the professional's card.")
ADELI_INVALID = _("An ADELI number has 9 characters: the department (2 digits, 2A or 2B) and 7 digits.")
FINESS_INVALID = _("A FINESS number has 9 characters: the department (2 digits, 2A or 2B) and 7 digits.")
FINESS_KEY_WARNING = _("This FINESS number fails its check key: check it.")
INSEE_INVALID = _("An INSEE commune code has 5 characters, such as 61006, 2A004 or 97411 (it is not a postal code).")
POSTAL_CODE_INVALID = _("A postal code has 5 digits, such as 61200.")

_SPACES = re.compile(r"[\s.\-]+")
_DEPARTMENT_THEN_7_DIGITS = re.compile(r"^(?:\d{2}|2A|2B)\d{7}$")
_INSEE = re.compile(r"^(?:(?:0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5])\d{3}|2[AB]\d{3}|97[1-6]\d{2})$")
_POSTAL_CODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")


class InvalidIdentifier(ValueError):
    def __init__(self, message: str | StrPromise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Checked:
    value: str
    warnings: list[str | StrPromise] = field(default_factory=list)


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def luhn_key(digits: str) -> str:
    """The digit to append to `digits` so that the whole passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def _compact(value: str) -> str:
    return _SPACES.sub("", value).upper()


def rpps_or_adeli(value: str) -> str:
    """Which identifier a number typed in one box is ("rpps" or "adeli"), told by its length: an RPPS has 11 digits,
    an ADELI 9 characters. The check itself (check_rpps, check_adeli) comes after."""
    return "rpps" if len(value.replace(" ", "")) >= 11 else "adeli"


def from_national_id(value: str) -> tuple[str, str] | None:
    """The RPPS or ADELI number inside a health professional's national identifier (IDNPS: "8" + the 11-digit RPPS,
    "0" + the 9-character ADELI), as ("rpps" | "adeli", number); None for any other form."""
    compact = _compact(value)
    if len(compact) == 12 and compact.startswith("8"):
        return "rpps", compact[1:]
    if len(compact) == 10 and compact.startswith("0"):
        return "adeli", compact[1:]
    return None


def check_rpps(value: str) -> Checked:
    """11 digits. Real RPPS numbers pass the Luhn check; a failure is only a warning (the register has exceptions)."""
    national = from_national_id(value)
    compact = national[1] if national and national[0] == "rpps" else _compact(value)
    if not re.fullmatch(r"\d{11}", compact):
        raise InvalidIdentifier(RPPS_INVALID)
    warnings: list[str | StrPromise] = [] if luhn_ok(compact) else [RPPS_KEY_WARNING]
    return Checked(compact, warnings)


def check_adeli(value: str) -> Checked:
    national = from_national_id(value)
    compact = national[1] if national and national[0] == "adeli" else _compact(value)
    if not _DEPARTMENT_THEN_7_DIGITS.fullmatch(compact):
        raise InvalidIdentifier(ADELI_INVALID)
    return Checked(compact)


def check_finess(value: str) -> Checked:
    compact = _compact(value)
    if not _DEPARTMENT_THEN_7_DIGITS.fullmatch(compact):
        raise InvalidIdentifier(FINESS_INVALID)
    # Corsican FINESS numbers carry their key computed on 20 for 2A/2B.
    numeric = compact.replace("2A", "20", 1).replace("2B", "20", 1) if compact[:2] in ("2A", "2B") else compact
    warnings: list[str | StrPromise] = [] if luhn_ok(numeric) else [FINESS_KEY_WARNING]
    return Checked(compact, warnings)


def check_insee_code(value: str) -> Checked:
    compact = _compact(value)
    if not _INSEE.fullmatch(compact):
        raise InvalidIdentifier(INSEE_INVALID)
    return Checked(compact)


def check_postal_code(value: str) -> Checked:
    compact = _compact(value)
    if not _POSTAL_CODE.fullmatch(compact):
        raise InvalidIdentifier(POSTAL_CODE_INVALID)
    return Checked(compact)
