"""Form fields shared by the apps."""

from __future__ import annotations

from django.forms import BaseForm
from django_stubs_ext import StrOrPromise
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from .phones import PHONE_INVALID


def french_phone(label: StrOrPromise, *, required: bool = False, help_text: StrOrPromise = "") -> PhoneNumberField:
    """Accepts "06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678" or a foreign number with its country code (as
    `common.phones` reads them); stores E.164; shows French numbers in the national format and foreign ones in the
    international format."""
    return PhoneNumberField(
        label=label,
        region="FR",
        required=required,
        help_text=help_text,
        error_messages={"invalid": PHONE_INVALID},
        widget=RegionalPhoneNumberWidget(region="FR", attrs={"autocomplete": "off"}),
    )


def describe_fields(form: BaseForm) -> None:
    """Link each field to its help text and error message, and mark wrong fields, for assistive technologies
    (RGAA 11.10). Ids follow templates/common/_field.html: `<auto_id>_helptext` (the id Django itself points at)
    and `<auto_id>_error`."""
    errors = form.errors if form.is_bound else {}
    for name, field in form.fields.items():
        auto_id = form[name].auto_id
        described_by = []
        if field.help_text:
            described_by.append(f"{auto_id}_helptext")
        if name in errors:
            described_by.append(f"{auto_id}_error")
            field.widget.attrs["aria-invalid"] = "true"
        else:
            field.widget.attrs.pop("aria-invalid", None)
        if described_by:
            field.widget.attrs["aria-describedby"] = " ".join(described_by)
