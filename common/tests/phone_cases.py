"""Phone numbers as patients and files write them, and what each channel makes of them (E.164, or None when the
number is refused): the form, the JSON API, FHIR and the Annuaire import all read them with `common.phones`."""

from __future__ import annotations

PHONE_CASES: list[tuple[str, str | None]] = [
    ("06 12 34 56 78", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("02 33 12 34 56", "+33233123456"),
    ("+262 692 12 34 56", "+262692123456"),  # La Réunion, with its country code
    ("+1 202 555 0100", "+12025550100"),  # a patient passing through, with their own country's phone
    ("12", None),
    ("+33 6 12", None),
    ("06 12 34 56 78 9", None),
    ("0692123456", None),  # a Réunion mobile written without +262 reads as a French number that does not exist
    ("abc", None),
]
