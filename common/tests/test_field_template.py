"""templates/common/_field.html and common.forms.describe_fields agree on the ids that assistive technologies read:
every id a field's aria-describedby names is on the page (RGAA 11.10), whether or not the view called
describe_fields (Django itself points a field with help text at `<auto_id>_helptext`)."""

import re

from django import forms
from django.template.loader import render_to_string

from common.forms import describe_fields


class _Form(forms.Form):
    name = forms.CharField(label="Nom", help_text="Tel qu'écrit sur la carte Vitale.")
    town = forms.CharField(label="Commune")


def _described_ids_missing(html: str) -> set[str]:
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    named = {token for value in re.findall(r'aria-describedby="([^"]+)"', html) for token in value.split()}
    return named - ids


def _render(form: forms.Form) -> str:
    return "".join(render_to_string("common/_field.html", {"field": form[name]}) for name in form.fields)


def test_a_field_with_help_text_points_at_it_without_describe_fields() -> None:
    html = _render(_Form())
    assert 'aria-describedby="id_name_helptext"' in html
    assert _described_ids_missing(html) == set()


def test_describe_fields_points_at_the_help_and_the_error_shown() -> None:
    form = _Form(data={"name": "", "town": ""})
    form.is_valid()
    describe_fields(form)
    html = _render(form)
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-describedby="id_town_error"' in html
    assert _described_ids_missing(html) == set()
