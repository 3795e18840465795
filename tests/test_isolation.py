"""Every URL of the project declares what it requires, and no user of one cell reaches another cell's objects.

The walk covers every URL pattern, so URLs added later are covered the day they land: a new URL with an object in
its address must say here which object it takes (OBJECTS_BY_URL), or this test fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import World
from directory.models import Professional, ReorientationResource, Site

# Outside any cell and harmless: Django's admin (platform administrators only, guarded by is_staff) and i18n.
NOT_CELL_NAMESPACES = {"admin"}
NOT_CELL_URLS = {"set_language"}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: Callable[..., Any]
    kwargs: tuple[str, ...]


def walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from walk(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            full = prefix + str(entry.pattern)
            kwargs = tuple(sorted(set(entry.pattern.regex.groupindex) | set(_resolver_kwargs(full))))
            yield Route(name, full, entry.callback, kwargs)


def _resolver_kwargs(pattern: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", pattern)


def cell_routes() -> list[Route]:
    routes = []
    for route in walk(get_resolver().url_patterns):
        if route.name.split(":")[0] in NOT_CELL_NAMESPACES or route.name in NOT_CELL_URLS:
            continue
        routes.append(route)
    return routes


def declared_permission(callback: Callable[..., Any]) -> Any:
    view_class = getattr(callback, "view_class", None)
    return getattr(view_class, "permission", None) if view_class else getattr(callback, "permission", None)


# For each URL with an object in its address: which object of a cell it takes, per keyword.
OBJECTS_BY_URL: dict[str, dict[str, Callable[[World, Any], Any]]] = {
    "directory:site_detail": {"pk": lambda w, cell: Site.objects.filter(cell=cell).first()},
    "directory:site_update": {"pk": lambda w, cell: Site.objects.filter(cell=cell).first()},
    "directory:professional_detail": {"pk": lambda w, cell: Professional.objects.filter(cell=cell).first()},
    "directory:professional_update": {"pk": lambda w, cell: Professional.objects.filter(cell=cell).first()},
    "directory:resource_detail": {"pk": lambda w, cell: ReorientationResource.objects.filter(cell=cell).first()},
    "directory:resource_update": {"pk": lambda w, cell: ReorientationResource.objects.filter(cell=cell).first()},
    "territory:territory_detail": {"pk": lambda w, cell: cell.territories.first()},
    "territory:territory_update": {"pk": lambda w, cell: cell.territories.first()},
    "territory:territory_commune_add": {"pk": lambda w, cell: cell.territories.first()},
    "territory:territory_commune_remove": {
        "pk": lambda w, cell: cell.territories.first(),
        "commune_pk": lambda w, cell: cell.territories.first().communes.first(),
    },
    "accounts:member_update": {"pk": lambda w, cell: cell.memberships.first()},
}


def url_for(route: Route, world: World, *, cell_of_address: Any, cell_of_objects: Any) -> str:
    kwargs: dict[str, Any] = {}
    for key in route.kwargs:
        if key == "cell":
            kwargs[key] = cell_of_address.slug
        else:
            kwargs[key] = OBJECTS_BY_URL[route.name][key](world, cell_of_objects).pk
    return reverse(route.name, kwargs=kwargs)


ROUTES = cell_routes()


def test_the_walk_finds_the_project_urls() -> None:
    names = {route.name for route in ROUTES}
    assert {"accounts:cell_home", "directory:site_list", "territory:commune_search"} <= names
    assert len(ROUTES) >= 20


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_url_declares_its_permission(route: Route) -> None:
    assert declared_permission(route.callback) is not None, f"{route.name} ({route.pattern}) declares no permission"


@pytest.mark.parametrize("route", [r for r in ROUTES if set(r.kwargs) - {"cell"}], ids=lambda r: r.name)
def test_every_object_url_is_known_to_this_test(route: Route) -> None:
    assert route.name in OBJECTS_BY_URL, f"say in OBJECTS_BY_URL which object {route.name} takes"
    assert set(route.kwargs) - {"cell"} == set(OBJECTS_BY_URL[route.name])


@pytest.mark.parametrize("route", [r for r in ROUTES if "cell" in r.kwargs], ids=lambda r: r.name)
def test_a_user_of_one_cell_gets_403_or_404_on_every_url_of_the_other_cell(populated: World, route: Route) -> None:
    client = populated.client_for(populated.owner)
    other = populated.other_cell
    own_address_foreign_objects = None
    if set(route.kwargs) - {"cell"}:
        own_address_foreign_objects = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=other)
    foreign = url_for(route, populated, cell_of_address=other, cell_of_objects=other)
    for url in filter(None, [foreign, own_address_foreign_objects]):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (403, 404, 405), f"{method.upper()} {url} answered {response.status_code}"
    # The other cell's data is untouched by the attempts above.
    assert other.territories.first().communes.count() == 2
    assert Site.objects.filter(cell=other).count() == 1


@pytest.mark.parametrize("route", [r for r in ROUTES if "cell" in r.kwargs], ids=lambda r: r.name)
def test_the_same_urls_work_for_their_own_cell(populated: World, route: Route) -> None:
    """Guards the test above against passing vacuously (a broken URL would also answer 404)."""
    client = populated.client_for(populated.owner)
    url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
    response = client.get(url)
    assert response.status_code in (200, 405), f"GET {url} answered {response.status_code}"


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.kwargs == ("cell",) and declared_permission(r.callback)],
    ids=lambda r: r.name,
)
def test_lists_of_one_cell_never_show_the_other_cells_objects(populated: World, route: Route) -> None:
    client = populated.client_for(populated.owner)
    url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
    for query in ("", "?q=Vignoble", "?q=Clisson"):
        response = client.get(url + query)
        if response.status_code == 405:
            continue
        body = response.content.decode()
        for name in (
            "Maison de santé Vignoble",
            "DocteurVignoble",
            "Pharmacie de garde Vignoble",
            "CSNP Test Vignoble",
            "charlie",
        ):
            assert name not in body, f"{url}{query} shows {name}"


def test_an_anonymous_visitor_is_sent_to_login_from_every_cell_url(populated: World) -> None:
    client = Client()
    for route in ROUTES:
        if "cell" not in route.kwargs:
            continue
        url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
        response = client.get(url)
        assert response.status_code in (302, 405), f"{url} answered {response.status_code} to an anonymous visitor"
        if response.status_code == 302:
            assert "/connexion/" in response["Location"]
