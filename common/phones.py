"""Patients' phone numbers, read the same way by every channel (form, JSON API, FHIR).

French numbers are written as the French write them ("06 12 34 56 78", "+33 6…", "0033 6…"); a foreign number is
accepted with its country code ("+32 470 12 34 56"): patients passing through the territory are eligible (seed 004)
and may only have their own country's phone. Numbers are stored in E.164.
"""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext_lazy as _

PHONE_INVALID = _(
    "Not a valid phone number: write a French one as 06 12 34 56 78, a foreign one with + and its country code "
    "(+32 470 12 34 56)."
)


def phone_e164(value: str) -> str:
    """The number in E.164; raises ValueError when it is not a valid French number nor a valid number with its
    country code."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException as error:
        raise ValueError(str(PHONE_INVALID)) from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(str(PHONE_INVALID))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Kinds of numbers an SMS reaches. A French 01-05 is a landline; 09 (VoIP boxes) seldom takes SMS either.
_TAKES_SMS = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.PAGER,
}


def takes_sms(value: object) -> bool:
    """Whether an SMS can reach this number (by its type: a mobile, or a number its country does not tell apart
    from one); a landline cannot: the patient is told by phone instead."""
    try:
        number = phonenumbers.parse(str(value), "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in _TAKES_SMS
