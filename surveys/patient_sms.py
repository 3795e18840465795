"""The patient's survey SMS: one SMS part (160 GSM 03.38 characters), whatever the cell's name and the site's address.

It says who asks (the cell's name), what about (the appointment, no care, no reason, no professional) and the link.
The link always stays whole; the cell's name goes first when the text would take more than one part (a long name, a
long AIGUILLAGE_BASE_URL): the text without it is the same every time, so the rule is deterministic. The text is
written in GSM 03.38 only (`to_gsm`: "ê" becomes "e"), else the SMS would be UCS-2, 70 characters a part.

With a base address of up to MAX_BASE_URL characters the text without the name fits in one part (tested); a longer
one would make it two parts, never cut the link.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notifications.patient_text import to_gsm
from notifications.sms import segments

ONE_PART = 1
TOKEN_BYTES = 12  # secrets.token_urlsafe(12): 16 characters, 96 random bits, for a link open 30 days
MAX_BASE_URL = 80

NAMED = _("%(cell)s: how did your appointment go? Answer in 1 min: %(url)s")
BARE = _("How did your appointment go? Answer in 1 min: %(url)s")


@dataclass(frozen=True)
class SurveySms:
    text: str
    with_name: bool

    @property
    def segments(self) -> int:
        return segments(self.text)


def clean_name(cell_name: str) -> str:
    """The cell's name on one line, in GSM 03.38, without control characters (an escape would garble the SMS)."""
    printable = "".join(char for char in cell_name if unicodedata.category(char) != "Cc")
    return to_gsm(" ".join(printable.split()))


def survey_sms(cell_name: str, url: str, *, named: str | Promise = NAMED, bare: str | Promise = BARE) -> SurveySms:
    """The SMS inviting the patient to answer at `url`, with the cell's name when it fits in one part. Call it in the
    language the patient reads (the cell's); `named` and `bare` are the wordings with and without the name."""
    name = clean_name(cell_name)
    if name:
        text = to_gsm(str(named) % {"cell": name, "url": url})
        if segments(text) <= ONE_PART:
            return SurveySms(text=text, with_name=True)
    return SurveySms(text=to_gsm(str(bare) % {"url": url}), with_name=False)
