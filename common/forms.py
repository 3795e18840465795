"""Form fields shared by the apps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

PHONE_INVALID = _("Enter a French phone number, such as 06 12 34 56 78 or +33 6 12 34 56 78.")


def french_phone(label: StrOrPromise, *, required: bool = False, help_text: StrOrPromise = "") -> PhoneNumberField:
    """Accepts "06 12 34 56 78", "+33 6 12 34 56 78" or "0033612345678"; stores E.164; shows French numbers in the
    national format and foreign ones in the international format."""
    return PhoneNumberField(
        label=label,
        region="FR",
        required=required,
        help_text=help_text,
        error_messages={"invalid": PHONE_INVALID},
        widget=RegionalPhoneNumberWidget(region="FR", attrs={"autocomplete": "off"}),
    )
