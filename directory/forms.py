from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.forms import french_phone
from territory.forms import CommuneField, suggest_addresses
from territory.models import Cell
from territory.selectors import cell_communes

from .models import AgreementStatus, Professional, ReorientationResource, Site, TeleconsultantTier, is_mssante_address

NOT_MSSANTE = _(
    "This is not an MSSanté address: those end in mssante.fr (for example prenom.nom@medecin.mssante.fr). "
    "Put an ordinary address in the e-mail field."
)


class CellModelForm(forms.ModelForm):
    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell = cell
        for field in self.fields.values():
            if isinstance(field, CommuneField):
                field.set_cell(cell)

    def _post_clean(self) -> None:
        # Model validation runs in the service, which knows the cell; the form only parses and checks fields.
        pass


class SiteForm(CellModelForm):
    commune = CommuneField(label=_("Commune"))
    phone = french_phone(_("Phone"))

    class Meta:
        model = Site
        fields = [
            "kind",
            "name",
            "sms_name",
            "address",
            "commune",
            "phone",
            "email",
            "finess",
            "hours",
            "latitude",
            "longitude",
            "is_active",
        ]
        widgets = {"hours": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "latitude": _("Leave empty to use the commune's point; fill in for a precise distance (WGS-84 degrees)."),
            "longitude": _("Leave empty to use the commune's point."),
            "finess": _("9 characters, for a structure registered in FINESS."),
            "sms_name": _(
                "A short name patients recognise (e.g. MSP du Val), used in their SMS when the full name would not "
                "leave room for the day, time and address. Empty: the full name."
            ),
        }

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, cell=cell, **kwargs)
        suggest_addresses(
            self, "address", cell=cell, commune_field="commune", latitude_field="latitude", longitude_field="longitude"
        )


class ProfessionalForm(CellModelForm):
    phone = french_phone(_("Phone"))
    # Longer than the stored value: "100 0123 4567", "8" + RPPS or "0" + ADELI are normalised by the service.
    rpps = forms.CharField(label=_("RPPS"), max_length=20, required=False, help_text=_("11 digits."))
    adeli = forms.CharField(
        label=_("ADELI"), max_length=20, required=False, help_text=_("9 characters, for professions not yet in RPPS.")
    )

    class Meta:
        model = Professional
        fields = [
            "last_name",
            "first_name",
            "profession",
            "specialty",
            "rpps",
            "adeli",
            "sites",
            "is_adherent",
            "teleconsultant_tier",
            "phone",
            "email",
            "mssante",
            "is_active",
        ]
        widgets = {"sites": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, cell=cell, **kwargs)
        self.fields["sites"].queryset = cell.sites.select_related("commune").order_by("name")  # type: ignore[attr-defined]
        self.fields["rpps"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        self.fields["adeli"].widget.attrs.update(autocomplete="off")
        self.fields["mssante"].help_text = _(
            "Messages with health details (the summary to the médecin traitant) go there, through the cell's MSSanté "
            "relay."
        )

    def clean_mssante(self) -> str:
        address = str(self.cleaned_data.get("mssante") or "")
        if address and not is_mssante_address(address):
            raise forms.ValidationError(NOT_MSSANTE)
        return address


class ResourceForm(CellModelForm):
    commune = CommuneField(label=_("Commune"), required=False)
    phone = french_phone(_("Phone"))
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = ReorientationResource
        fields = [
            "kind",
            "name",
            "address",
            "commune",
            "phone",
            "email",
            "website",
            "hours",
            "communes_served",
            "notes",
            "is_active",
        ]
        widgets = {
            "communes_served": forms.CheckboxSelectMultiple,
            "hours": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, cell=cell, **kwargs)
        self.fields["communes_served"].queryset = cell_communes(cell).order_by("search_name")  # type: ignore[attr-defined]


IMPORT_FILE_TOO_LARGE = _("The file is larger than the %(size)s MB accepted.")
IMPORT_FILE_KIND = _("Send the extract's .txt file, or the .zip downloaded from the Annuaire Santé.")
IMPORT_PROFESSION_CHOICES = [
    ("10", _("Doctors")),
    ("21", _("Pharmacists")),
    ("60", _("Nurses")),
    ("70", _("Physiotherapists")),
    ("50", _("Midwives")),
    ("40", _("Dental surgeons")),
    ("other", _("Other professions (speech therapists, podiatrists, opticians…)")),
]


class AnnuaireImportForm(forms.Form):
    file = forms.FileField(
        label=_("Extract file"),
        help_text=_(
            "The PS_LibreAcces_Personne_activite_….txt file of the Annuaire Santé's open data extract, or the zip that "
            "holds it, as downloaded."
        ),
    )
    professions = forms.MultipleChoiceField(
        label=_("Professions to import"),
        choices=IMPORT_PROFESSION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[value for value, _label in IMPORT_PROFESSION_CHOICES],
    )

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell = cell
        self.fields["file"].widget.attrs["accept"] = ".txt,.zip"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.AIGUILLAGE_ANNUAIRE_MAX_UPLOAD_MB
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(IMPORT_FILE_TOO_LARGE, code="too_large", params={"size": limit})
        if not (upload.name or "").casefold().endswith((".txt", ".zip")):
            raise forms.ValidationError(IMPORT_FILE_KIND, code="kind")
        return upload

    def chosen_professions(self) -> list[str]:
        """The chosen groups, or [] when all are chosen (every profession, including ones added to the register)."""
        chosen = list(self.cleaned_data["professions"])
        return [] if len(chosen) == len(IMPORT_PROFESSION_CHOICES) else chosen


NO_SUCH_CELL = _("No cell has this short name: check it with that cell's administrator.")


class PoolAgreementOfferForm(forms.Form):
    """The home cell offers one of its professionals to another cell (decision 0021)."""

    professional = forms.ModelChoiceField(label=_("Professional"), queryset=Professional.objects.none())
    # Typed, not chosen from a list: a cell never lists the other cells of the deployment (the other cell's
    # administrator gives its short name, the one in its addresses).
    to_cell = forms.SlugField(
        label=_("Short name of the cell offered to"),
        help_text=_("As in the addresses of its pages (…/c/<short name>/…): ask that cell's administrator."),
    )
    tier = forms.ChoiceField(
        label=_("Tier for that cell"),
        choices=TeleconsultantTier.choices,
        help_text=_("Where that cell's coordinators and pairing rank the professional among their teleconsultants."),
    )
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for no end: either cell may end it later."),
    )

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.fields["professional"].queryset = Professional.objects.filter(cell=cell, is_active=True)  # type: ignore[attr-defined]

    def clean_to_cell(self) -> Cell:
        from .selectors import pool_cell_named

        found = pool_cell_named(self.cleaned_data["to_cell"])
        if found is None:
            raise forms.ValidationError(NO_SUCH_CELL)
        return found


class PoolAgreementEndForm(forms.Form):
    last_day = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today when empty. Appointments already booked stay."),
    )
    # The agreement's status on the page the button was on: a Withdraw or Decline that crossed the other cell's
    # Accept must not end the agreement it accepted meanwhile.
    seen = forms.ChoiceField(choices=AgreementStatus.choices, required=False, widget=forms.HiddenInput)
