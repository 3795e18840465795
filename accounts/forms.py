from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Professional, Site
from territory.models import Cell

from .models import RequesterType, Role


class MemberForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    requester_type = forms.ChoiceField(label=_("Requester type"), required=False)
    professional = forms.ModelChoiceField(
        label=_("Professional (directory)"), queryset=Professional.objects.none(), required=False
    )
    site = forms.ModelChoiceField(label=_("Structure (directory)"), queryset=Site.objects.none(), required=False)

    def __init__(self, *args: Any, cell: Cell, instance: Any = None, **kwargs: Any) -> None:
        if instance is not None:
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
        super().__init__(*args, **kwargs)
        requester_type = self.fields["requester_type"]
        assert isinstance(requester_type, forms.ChoiceField)
        requester_type.choices = [("", "—"), *RequesterType.choices]
        self.fields["professional"].queryset = Professional.objects.filter(cell=cell)  # type: ignore[attr-defined]
        self.fields["site"].queryset = Site.objects.filter(cell=cell).select_related("commune")  # type: ignore[attr-defined]


class MemberCreateForm(MemberForm):
    username = forms.SlugField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; the member can change it later."),
    )
    field_order = ["username", "first_name", "last_name", "email", "password", "role"]


class MemberUpdateForm(MemberForm):
    is_active = forms.BooleanField(label=_("Access to the cell"), required=False)
