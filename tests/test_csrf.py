"""Every form of the site needs its CSRF token: Django's CSRF middleware refuses a POST without it, whoever sends it.

The URL walk is test_isolation's, so a URL added later is covered the day it lands. The only views exempt from the
check are the JSON API's (/api/), which authenticate by a bearer token alone, and the FHIR server's (/fhir/), which
serve only a client certificate nginx verified: a browser's session cookie opens nothing there, so a forged
cross-site request has nothing to ride on.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.test import Client, override_settings
from django.urls import get_resolver, reverse

from accounts.models import User
from accounts.policies import role_allows
from conftest import World
from tests.factories import UserFactory
from tests.test_isolation import ROUTES, VALID_BODIES, Route, declared_permission, url_for, walk

REFUSED_BY_CSRF = "X-Test-Refused-By-CSRF"


def csrf_refused(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Stands for django.views.csrf.csrf_failure here, so that a 403 is known to come from the CSRF check and not
    from a permission."""
    response = HttpResponseForbidden(reason)
    response[REFUSED_BY_CSRF] = "yes"
    return response


def _poster(world: World, route: Route) -> User:
    """A member entitled to the URL, so that only the missing token stands in the way."""
    permission = declared_permission(route.callback)
    for user in (world.owner, world.colleague, *world.extra_members):
        if role_allows(user.memberships.get(cell=world.cell).role, permission):
            return user
    return world.owner  # URLs open to anyone signed in, or to the public


def _client_with_csrf_cookie(user: User | None) -> Client:
    """A browser that holds a valid CSRF cookie (as a victim's browser would) but whose POST carries no token."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.get(reverse("accounts:password_change" if user is not None else "accounts:login"))
    assert settings.CSRF_COOKIE_NAME in client.cookies
    return client


def _assert_refused(client: Client, url: str, body: dict[str, Any], who: str) -> None:
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(url, body, headers=headers)
        assert response.status_code == 403 and response.get(REFUSED_BY_CSRF) == "yes", (
            f"{who}: POST {url} without a CSRF token answered {response.status_code}"
        )


EXEMPT_PREFIXES = ("api/", "fhir/")


@override_settings(CSRF_FAILURE_VIEW="tests.test_csrf.csrf_refused")
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if not r.pattern.startswith(EXEMPT_PREFIXES)], ids=lambda r: r.name
)
def test_a_post_without_csrf_token_is_refused_on_every_url(populated: World, route: Route) -> None:
    UserFactory(username="dora", email="dora@example.org")  # for member_attach's valid body
    url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
    body = VALID_BODIES[route.name](populated, populated.cell) if route.name in VALID_BODIES else {}
    user = _poster(populated, route)
    _assert_refused(_client_with_csrf_cookie(user), url, body, user.username)
    _assert_refused(_client_with_csrf_cookie(None), url, body, "anonymous")


@override_settings(CSRF_FAILURE_VIEW="tests.test_csrf.csrf_refused")
def test_the_language_switch_and_the_admin_login_need_the_token_too(populated: World) -> None:
    client = _client_with_csrf_cookie(populated.owner)
    _assert_refused(client, reverse("set_language"), {"language": "en", "next": "/"}, "owner")
    _assert_refused(client, reverse("admin:login"), {"username": "alice", "password": "x"}, "owner")


def test_the_walk_posts_valid_bodies() -> None:
    """Guards the test above against passing on empty forms only: most POST URLs get a body that would succeed."""
    assert len([route for route in ROUTES if route.name in VALID_BODIES]) >= 40


def test_only_the_bearer_token_api_and_the_fhir_server_are_exempt_from_the_csrf_check() -> None:
    exempt = {route.pattern for route in walk(get_resolver().url_patterns) if getattr(route.callback, "csrf_exempt", 0)}
    assert any(p.startswith("api/") for p in exempt), (
        "the JSON API's views are expected to be exempt (ninja marks them)"
    )
    assert any(p.startswith("fhir/") for p in exempt), "the FHIR server's views are expected to be exempt"
    assert all(pattern.startswith(EXEMPT_PREFIXES) for pattern in exempt), sorted(exempt)


@pytest.mark.django_db
def test_the_api_ignores_a_signed_in_browser_session(world: World) -> None:
    """Why the API and the FHIR server may be exempt: a session cookie alone is refused (401 without a bearer token,
    403 without a verified client certificate)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    for route in walk(get_resolver().url_patterns):
        if not getattr(route.callback, "csrf_exempt", False):
            continue
        path = "/" + route.pattern.replace("<request_id>", "1").replace("<str:resource_id>", "1")
        path = path.replace("<path:rest>", "Patient/1")
        refused = (401, 405) if path.startswith("/api/") else (403, 405)
        response = client.post(path, data=json.dumps({}), content_type="application/json")
        assert response.status_code in refused, f"POST {path} with a session answered {response.status_code}"
        response = client.get(path)
        assert response.status_code in refused, f"GET {path} with a session answered {response.status_code}"
