"""What a worker of the app server does once, at its start, instead of in the first calls it answers (issue 23, 5b).

Profiled (cProfile) on the first POST /api/v1/requests of a fresh process: 2.8 s, against 30 ms for the next ones, and
nothing of it in the database. Two costs of the process, not of the call: the URLconf, imported on the first request
(every app's views, WeasyPrint among their imports), and the first public-holiday table, which the intake's answer
needs (is the cell open?): the `holidays` library imports its ~280 countries' modules on its first use. A worker that
had not yet paid them charged them to whoever called it first: each of the app server's workers, after each start.

Profiled again (pyinstrument) on the first page of each kind a warmed worker served, on the load test's database:
the requester's form 129 ms the first time against 22 ms after, the request page 194 ms against 55 ms. What the
first one paid: the URLs' reverse table (built per language, 35 ms, on the first `reverse`) and the templates, each
compiled on its first use by the cached loader (the page's, its includes', the inclusion tags' and the form widgets').
Under load, with several workers each meeting a kind of page for the first time, those first calls were most of the
load test's slowest (its form intake at 500 ms median).

Done here, they cost the worker's start (about a second), not a caller. Nothing here reads the database (the worker
may start before it is up).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver, reverse
from django.utils import timezone, translation

TEMPLATE_SUFFIXES = (".html", ".txt")


def project_templates() -> Iterator[str]:
    """The names of the project's own templates (its templates folder and its apps'), not the libraries'."""
    root = Path(settings.BASE_DIR).resolve()
    folders = [Path(str(folder)) for folder in (*engines["django"].dirs, *get_app_template_dirs("templates"))]
    for folder in folders:
        folder = folder.resolve()
        if not folder.is_dir() or not folder.is_relative_to(root) or ".venv" in folder.parts:
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
                yield path.relative_to(folder).as_posix()


def widget_templates() -> Iterator[str]:
    """The form renderer's own templates (Django's widgets, fields, errors), which every form page renders."""
    import django.forms

    folder = Path(django.forms.__file__).parent / "templates"
    for path in sorted(folder.rglob("*.html")):
        yield path.relative_to(folder).as_posix()


def warm_up() -> None:
    from common.holidays import public_holidays
    from common.phones import phone_e164

    get_resolver().url_patterns  # noqa: B018 (imports every app's URLs and views)
    with translation.override(settings.LANGUAGE_CODE):
        reverse("healthz")  # the reverse table, built per language on the first reverse()
    today = timezone.localdate()
    public_holidays("", today, today + timedelta(days=366))  # this year's table and the next, metropolitan France
    phone_e164("06 12 34 56 78")  # the phone numbers' French metadata
    django_templates = engines["django"]
    for name in project_templates():
        django_templates.get_template(name)
    renderer = get_default_renderer()
    for name in widget_templates():
        renderer.get_template(name)
