from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Professional, Site
from territory.models import Cell

from .models import Membership, RequesterType, Role
from .selectors import account_is_shared


class MembershipForm(forms.Form):
    """The role in the cell and the directory records it is linked to (only the cell's records are offered)."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    requester_type = forms.ChoiceField(
        label=_("Requester type"), required=False, choices=[("", "—"), *RequesterType.choices]
    )
    professional = forms.ModelChoiceField(
        label=_("Professional (directory)"),
        queryset=Professional.objects.none(),
        required=False,
        help_text=_("Required for an effector; for a requester, the professional or the structure."),
    )
    site = forms.ModelChoiceField(label=_("Structure (directory)"), queryset=Site.objects.none(), required=False)

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        professional = self.fields["professional"]
        site = self.fields["site"]
        assert isinstance(professional, forms.ModelChoiceField) and isinstance(site, forms.ModelChoiceField)
        professional.queryset = Professional.objects.filter(cell=cell)
        site.queryset = Site.objects.filter(cell=cell).select_related("commune")


class MemberCreateForm(MembershipForm):
    username = forms.SlugField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; the member changes it from their account page."),
    )
    field_order = ["username", "first_name", "last_name", "email", "password", "role"]


class MemberAttachForm(MembershipForm):
    """An account that already exists (in another cell): named by its username and e-mail address together."""

    username = forms.CharField(label=_("Username of the existing account"), max_length=150)
    email = forms.EmailField(label=_("Its e-mail address"))
    field_order = ["username", "email", "role"]


class MemberUpdateForm(MembershipForm):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    is_active = forms.BooleanField(label=_("Access to the cell"), required=False)
    field_order = ["first_name", "last_name", "email", "role"]

    def __init__(self, *args: Any, cell: Cell, instance: Membership, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "first_name": instance.user.first_name,
                "last_name": instance.user.last_name,
                "email": instance.user.email,
                "role": instance.role,
                "requester_type": instance.requester_type,
                "professional": instance.professional_id,
                "site": instance.site_id,
                "is_active": instance.is_active,
            },
        )
        super().__init__(*args, cell=cell, **kwargs)
        if account_is_shared(instance):
            # The account belongs to other cells too: its identity is not this cell's to change.
            for name in ("first_name", "last_name", "email"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Shared with another cell: not editable here.")


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class EnrolmentForm(forms.Form):
    token = forms.CharField(
        label=_("Code shown by the app"),
        max_length=10,
        help_text=_("6 digits."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PscAccessRequestForm(forms.Form):
    """A professional authenticated by Pro Santé Connect chooses the cell they ask to join."""

    cell = forms.ModelChoiceField(
        label=_("Coordination cell"),
        queryset=Cell.objects.none(),
        empty_label=None,
        help_text=_("The cell of the territory where you send patients; its administrator will approve your access."),
    )

    def __init__(self, *args: Any, cells: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cell = self.fields["cell"]
        assert isinstance(cell, forms.ModelChoiceField)
        cell.queryset = cells


class PscDecisionForm(forms.Form):
    APPROVE, REFUSE = "approve", "refuse"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve: a requester of the cell")), (REFUSE, _("Refuse"))],
        widget=forms.RadioSelect,
    )
    requester_type = forms.ChoiceField(
        label=_("Requester type"),
        required=False,
        choices=[("", "—"), *RequesterType.choices],
        help_text=_("Required to approve."),
    )

    def __init__(self, *args: Any, cell: Cell, instance: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class InvitationForm(MembershipForm):
    """Whom to invite: their e-mail address and their role in the cell (with the directory records it needs)."""

    email = forms.EmailField(label=_("E-mail"), help_text=_("The invitation link is sent to this address."))
    field_order = ["email", "role"]


PASSWORDS_DIFFER = _("The two passwords differ.")


class InvitationAcceptForm(forms.Form):
    """The invited person's new account: a username, their name and the password they choose."""

    username = forms.SlugField(
        label=_("Username"), max_length=150, help_text=_("Letters, digits, - and _: what you will type to log in.")
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not a common one."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", PASSWORDS_DIFFER)
        return cleaned
