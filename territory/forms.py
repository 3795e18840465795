"""Form fields for choosing a commune by typing its name, postal code or INSEE code (with suggestions)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from common.text import normalize

from .models import Cell, Commune, Territory

COMMUNE_UNKNOWN = _("Unknown commune: type its name or postal code and pick it from the list.")
COMMUNE_AMBIGUOUS = _("Several communes match “%(value)s”: pick one from the list (the postal code tells them apart).")

_TRAILING_INSEE = re.compile(r"(?:·|-|—)\s*((?:\d{2}|2[AB])\d{3})\s*$", re.IGNORECASE)


def commune_label(commune: Commune) -> str:
    return f"{commune.name} ({commune.postal_codes.split(' ', 1)[0] or commune.department}) · {commune.insee_code}"


class CommuneInput(forms.TextInput):
    """A text input that asks the server for suggestions as the user types (htmx), shown in a native datalist."""

    template_name = "territory/widgets/commune_input.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.search_url = ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = self.search_url
        return context


class CommuneField(forms.Field):
    widget = CommuneInput
    default_error_messages = {"unknown": COMMUNE_UNKNOWN, "ambiguous": COMMUNE_AMBIGUOUS}

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Commune):
            return commune_label(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit() and len(value) < 5):
            commune = Commune.objects.filter(pk=value).first()
            return commune_label(commune) if commune else ""
        return value

    def set_cell(self, cell: Cell, *, all_of_france: bool = False) -> None:
        """Suggest the cell's communes, or every commune of France (to extend a territory)."""
        assert isinstance(self.widget, CommuneInput)
        url = reverse("territory:commune_search", kwargs={"cell": cell.slug})
        self.widget.search_url = url + ("?scope=all" if all_of_france else "")

    def to_python(self, value: Any) -> Commune | None:
        if isinstance(value, Commune):
            return value
        text = (value or "").strip()
        if not text:
            return None
        match = _TRAILING_INSEE.search(text)
        if match:
            commune = Commune.objects.filter(insee_code=match.group(1).upper()).first()
            if commune:
                return commune
        if re.fullmatch(r"(?:\d{2}|2[AB])\d{3}", text, re.IGNORECASE):
            candidates = list(Commune.objects.filter(insee_code=text.upper())) or list(
                Commune.objects.filter(postal_codes__contains=text)[:2]
            )
        else:
            candidates = list(Commune.objects.filter(search_name=normalize(text))[:2])
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"value": text})
        raise forms.ValidationError(self.error_messages["unknown"], code="unknown")


class CellForm(forms.ModelForm):
    phone = PhoneNumberField(
        label=_("Professionals-only phone"),
        region="FR",
        required=False,
        help_text=_("Shown to requesters; never to patients."),
        error_messages={"invalid": _("Enter a French phone number, such as 06 12 34 56 78 or +33 6 12 34 56 78.")},
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    class Meta:
        model = Cell
        fields = ["name", "phone", "email"]

    def __init__(self, *args: Any, cell: Cell | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def _post_clean(self) -> None:
        # Uniqueness and saving are the service's job (cell_update).
        pass


class TerritoryForm(forms.ModelForm):
    class Meta:
        model = Territory
        fields = ["name", "finess"]


class TerritoryCommuneAddForm(forms.Form):
    commune = CommuneField(label=_("Commune to add"))

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        assert isinstance(field, CommuneField)
        field.set_cell(cell, all_of_france=True)
