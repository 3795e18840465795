"""Form fields for choosing a commune by typing its name, postal code or INSEE code (with suggestions)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from common.forms import french_phone
from common.identifiers import InvalidIdentifier, check_insee_code, check_postal_code
from common.text import normalize

from . import services
from .geocoding import ban_enabled
from .models import Cell, Commune, OpeningRange, Territory

COMMUNE_UNKNOWN = _("Unknown commune: type its name or postal code and pick it from the list.")
COMMUNE_NO_SUCH_CODE = _("No commune has the postal code or INSEE code %(code)s.")
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


class AddressInput(forms.TextInput):
    """A street field that suggests addresses as the user types (static/js/address.js): an ARIA 1.2 combobox whose
    listbox is filled from our address endpoint (BAN behind it). Choosing an address fills the street, the commune
    field and the point fields named here, when the form has them."""

    template_name = "territory/widgets/address_input.html"

    def __init__(
        self,
        *,
        suggest_url: str,
        commune_id: str = "",
        latitude_id: str = "",
        longitude_id: str = "",
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__({**(attrs or {}), "autocomplete": "off", "spellcheck": "false"})
        self.suggest_url, self.commune_id = suggest_url, commune_id
        self.latitude_id, self.longitude_id = latitude_id, longitude_id

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            suggest_url=self.suggest_url,
            commune_id=self.commune_id,
            latitude_id=self.latitude_id,
            longitude_id=self.longitude_id,
        )
        return context


ADDRESS_HELP = _("Addresses of the Base Adresse Nationale are suggested as you type: ↑ ↓ to move, Enter to choose.")


def suggest_addresses(
    form: forms.BaseForm,
    field_name: str,
    *,
    cell: Cell,
    commune_field: str,
    latitude_field: str = "",
    longitude_field: str = "",
) -> None:
    """With BAN geocoding on, the street field suggests addresses (within the commune already chosen, else all of
    France). With it off, the form is left exactly as it was."""
    if not ban_enabled():
        return
    field = form.fields[field_name]
    field.widget = AddressInput(
        suggest_url=reverse("territory:address_suggestions", kwargs={"cell": cell.slug}),
        commune_id=form[commune_field].auto_id,
        latitude_id=form[latitude_field].auto_id if latitude_field else "",
        longitude_id=form[longitude_field].auto_id if longitude_field else "",
        attrs=field.widget.attrs,
    )
    field.help_text = f"{field.help_text} {ADDRESS_HELP}".strip() if field.help_text else ADDRESS_HELP


class CommuneField(forms.Field):
    widget = CommuneInput
    default_error_messages = {
        "unknown": COMMUNE_UNKNOWN,
        "ambiguous": COMMUNE_AMBIGUOUS,
        "no_such_code": COMMUNE_NO_SUCH_CODE,
    }

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Commune):
            return commune_label(value)
        if isinstance(value, int):  # a primary key: the initial value of a model form, never what was typed
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
        code = text.replace(" ", "").upper()
        if re.fullmatch(r"[\dAB]+", code) and any(c.isdigit() for c in code):
            candidates = self._by_code(code)
        else:
            candidates = list(Commune.objects.filter(search_name=normalize(text))[:2])
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"value": text})
        raise forms.ValidationError(self.error_messages["unknown"], code="unknown")

    def _by_code(self, code: str) -> list[Commune]:
        """A typed code: an INSEE code, or a postal code (which may serve several communes)."""
        try:
            check_insee_code(code)
            by_insee = list(Commune.objects.filter(insee_code=code))
        except InvalidIdentifier:
            by_insee = []
        if by_insee:
            return by_insee
        try:
            check_postal_code(code)
        except InvalidIdentifier as error:
            raise forms.ValidationError(error.message, code="invalid_code") from error
        by_postal_code = list(Commune.objects.filter(postal_codes__contains=code)[:2])
        if not by_postal_code:
            raise forms.ValidationError(self.error_messages["no_such_code"], code="no_such_code", params={"code": code})
        return by_postal_code


class CellForm(forms.ModelForm):
    phone = french_phone(_("Professionals-only phone"), help_text=_("Shown to requesters; never to patients."))
    patient_phone = french_phone(
        _("Phone for patients"),
        help_text=_("Given to patients in their SMS and on their pages. Empty: patients are given no number."),
    )

    class Meta:
        model = Cell
        fields = ["name", "phone", "patient_phone", "email", "holiday_zone"]

    def __init__(self, *args: Any, cell: Cell | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def _post_clean(self) -> None:
        # Uniqueness and saving are the service's job (cell_update).
        pass


class TerritoryForm(forms.ModelForm):
    class Meta:
        model = Territory
        fields = ["name", "finess"]

    def __init__(self, *args: Any, cell: Cell | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def _post_clean(self) -> None:
        # Checks and saving are the service's job (territory_save), which knows the cell.
        pass


class TerritoryCommuneAddForm(forms.Form):
    commune = CommuneField(label=_("Commune to add"))

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commune"]
        assert isinstance(field, CommuneField)
        field.set_cell(cell, all_of_france=True)


RANGES_PER_DAY = 3


class OpeningHoursForm(forms.Form):
    """The week as a grid: for each day up to three ranges (from, to), Europe/Paris times; all empty: always open."""

    open_on_public_holidays = forms.BooleanField(
        label=_("Open on public holidays"),
        required=False,
        help_text=_("Otherwise the cell is closed on the public holidays of its zone."),
    )

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing: dict[int, list[OpeningRange]] = {}
        for found in cell.opening_ranges.order_by("weekday", "starts_at"):
            existing.setdefault(found.weekday, []).append(found)
        self.initial.setdefault("open_on_public_holidays", cell.open_on_public_holidays)
        self.rows: list[tuple[str, list[tuple[forms.BoundField, forms.BoundField]]]] = []
        for weekday, day_name in sorted(WEEKDAYS.items()):
            for index in range(RANGES_PER_DAY):
                for part, words in (("start", _("start")), ("end", _("end"))):
                    name = services.range_field(weekday, index, part)
                    self.fields[name] = forms.TimeField(
                        label=_("%(day)s, range %(number)s, %(part)s")
                        % {"day": day_name, "number": index + 1, "part": words},
                        required=False,
                        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
                    )
                    ranges = existing.get(weekday, [])
                    if index < len(ranges):
                        self.initial[name] = ranges[index].starts_at if part == "start" else ranges[index].ends_at
        for weekday, day_name in sorted(WEEKDAYS.items()):
            self.rows.append(
                (
                    str(day_name),
                    [
                        (self[services.range_field(weekday, i, "start")], self[services.range_field(weekday, i, "end")])
                        for i in range(RANGES_PER_DAY)
                    ],
                )
            )

    def days(self) -> dict[int, list[services.RangeInput]]:
        data = self.cleaned_data
        return {
            weekday: [
                (data.get(services.range_field(weekday, i, "start")), data.get(services.range_field(weekday, i, "end")))
                for i in range(RANGES_PER_DAY)
            ]
            for weekday in range(7)
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            for field, message in services.opening_range_problems(self.days()).items():
                self.add_error(field, message)
        return cleaned


class ClosureForm(forms.Form):
    first_day = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    last_day = forms.DateField(
        label=_("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Included. The same day for a one-day closure."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=150, help_text=_("Annual closure, training day…"))

    def __init__(self, *args: Any, cell: Cell | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", services.CLOSURE_ORDER)
        return cleaned
