"""Content-Security-Policy without inline script or style: no template holds any, and every page tells the browser.

The policy is in aiguillage/settings/base.py (end of the file). tests/test_browser_csp.py checks in Chromium that no
page breaks it; tests/test_csrf.py covers the other half of the hardening (every POST needs its CSRF token).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from conftest import World
from tests.test_isolation import ROUTES, Route, _member_allowed, declared_permission, url_for

ROOT = Path(__file__).resolve().parent.parent

EXPECTED_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# What a template must not hold, as the browser would refuse it under the policy. A <script> without src is allowed
# only as a JSON data block (Django's json_script), which the browser never runs.
FORBIDDEN = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*\btype\s*=\s*[\"']application/json)", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"(?:^|[\s\"'])style\s*=", re.I),
    "event-handler attribute": re.compile(r"(?:^|[\s\"'])on[a-z]+\s*=", re.I),
    "hx-on attribute (needs eval)": re.compile(r"(?:^|[\s\"'])(?:hx|data-hx)-on\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}")


def template_files() -> Iterator[Path]:
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        if folder.parent.name in {".venv", "node_modules"}:
            continue
        yield from sorted(path for path in folder.rglob("*") if path.is_file())


def inline_code_in(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = TEMPLATE_COMMENT.sub("", line)  # never sent to the browser
        for what, pattern in FORBIDDEN.items():
            if pattern.search(line):
                name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                found.append(f"{name}:{number}: {what}: {line.strip()}")
    return found


def test_the_scan_finds_the_project_templates() -> None:
    names = {str(path.relative_to(ROOT)) for path in template_files()}
    assert {"templates/base.html", "agenda/templates/agenda/calendar.html"} <= names
    assert len(names) > 50


def test_the_scan_catches_each_kind_of_inline_code(tmp_path: Path) -> None:
    sample = tmp_path / "sample.html"
    sample.write_text(
        '<script>alert(1)</script>\n<style>p{}</style>\n<p style="color:red">\n<button\n  onclick="go()">\n'
        '<form hx-on::after-request="x()">\n<a href="javascript:void(0)">\n'
        '<script src="/static/js/aiguillage.js" defer></script>\n<script type="application/json" id="d">{}</script>\n'
        '<p class="onboarding" data-style="x">Station = gare</p>{# a <style> is fine in a comment #}\n'
    )
    found = inline_code_in(sample)
    assert [entry.split(": ")[0].rsplit(":", 1)[1] for entry in found] == ["1", "2", "3", "5", "6", "7"]


def test_no_template_holds_inline_script_or_style() -> None:
    found = [entry for path in template_files() for entry in inline_code_in(path)]
    assert not found, "inline code breaks the Content-Security-Policy; move it to static/:\n" + "\n".join(found)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_policy(header: str, *, calendar: bool = False) -> None:
    """The calendar page alone adds a style nonce and data: fonts, for FullCalendar (agenda/calendar_views.py)."""
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, header
    parsed = directives(header)
    style = parsed.pop("style-src")
    if calendar:
        assert style[0] == "'self'" and len(style) == 2 and re.fullmatch(r"'nonce-[A-Za-z0-9+/=]{20,}'", style[1])
        assert parsed.pop("font-src") == ["'self'", "data:"], header
    else:
        assert style == ["'self'"], header
    skipped = {"style-src", "font-src"} if calendar else {"style-src"}
    assert parsed == {k: v for k, v in EXPECTED_DIRECTIVES.items() if k not in skipped}, header


class InlineCode(HTMLParser):
    """What a rendered page holds that the policy would refuse (Python writes HTML too: widgets, format_html)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        values = dict(attrs)
        if tag == "script" and "src" not in names and values.get("type") != "application/json":
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name in names:
            if name == "style" or name.startswith(("on", "hx-on")):
                self.found.append(f"{name}= on <{tag}> at line {self.getpos()[0]}")


def inline_code_of(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_login_page_carries_the_policy_and_the_other_headers(client: Client) -> None:
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert_strict_policy(response["Content-Security-Policy"])
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy.split(", "), policy
    body = response.content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>""" in body
    assert not inline_code_of(body)


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if "cell" in r.kwargs and declared_permission(r.callback) is not None],
    ids=lambda r: r.name,
)
def test_every_page_of_a_cell_carries_the_strict_policy(populated: World, route: Route) -> None:
    """Pages in HTML, fragments for htmx and downloads alike."""
    client = populated.client_for(_member_allowed(populated, declared_permission(route.callback)))
    url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(url, headers=headers)
        if response.status_code == 405:
            continue
        assert response.status_code == 200, f"GET {url} answered {response.status_code}"
        assert_strict_policy(response["Content-Security-Policy"], calendar=route.name == "agenda:calendar")
        if response["Content-Type"].startswith("text/html"):
            assert not inline_code_of(response.content.decode()), f"{url}: {inline_code_of(response.content.decode())}"


def test_the_calendar_hands_fullcalendar_the_nonce_of_its_style_src(populated: World) -> None:
    client = populated.client_for(populated.colleague)
    response = client.get(reverse("agenda:calendar", kwargs={"cell": populated.cell.slug}))
    nonce = directives(response["Content-Security-Policy"])["style-src"][1].strip("'").removeprefix("nonce-")
    assert f'<meta name="csp-nonce" content="{nonce}">' in response.content.decode()
    again = client.get(reverse("agenda:calendar", kwargs={"cell": populated.cell.slug}))
    assert nonce not in again["Content-Security-Policy"], "a nonce is used once"


def test_the_public_pages_carry_the_policy(populated: World, client: Client) -> None:
    partner = populated.cell.partners.first()
    assert partner is not None
    response = client.get(reverse("public:request", kwargs={"token": partner.token}))
    assert response.status_code == 200
    assert_strict_policy(response["Content-Security-Policy"])
    assert not inline_code_of(response.content.decode())
