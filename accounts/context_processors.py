from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .models import User
from .policies import ROLE_PERMISSIONS, Perm
from .two_factor import demo_exempt


@dataclass(frozen=True)
class CellChoice:
    """A cell of the switcher in the header: where choosing it leads."""

    name: str
    slug: str
    url: str
    current: bool


def _same_page_in(request: HttpRequest, slug: str, granted: frozenset[Perm]) -> str:
    """The page being read, in the cell `slug`, when it is a page of the whole cell (its address names nothing but
    the cell: the queue, the agenda…) that the person's roles there may open; else that cell's home. The query string
    is left behind: its filters may name the first cell's objects."""
    match = getattr(request, "resolver_match", None)
    home = reverse("accounts:cell_home", kwargs={"cell": slug})
    if match is None or set(match.kwargs) != {"cell"} or request.method != "GET":
        return home
    view = getattr(match.func, "view_class", match.func)
    permission = getattr(view, "permission", None)
    if not isinstance(permission, Perm) or permission not in granted:
        return home
    try:
        return reverse(match.view_name, kwargs={"cell": slug})
    except NoReverseMatch:
        return home


def memberships(request: HttpRequest) -> dict[str, Any]:
    """The cells the user belongs to, for the cell switcher in the header (one query, only when a page draws the
    header, only when logged in)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {"user_memberships": [], "cell_switcher": [], "demo_without_second_factor": False}
    rows: list[Any] | None = None

    def load() -> list[Any]:
        nonlocal rows
        if rows is None:
            rows = list(user.memberships.filter(is_active=True).select_related("cell").order_by("cell__name", "pk"))
        # One per cell: a person with several roles in a cell has one row per role.
        return list({row.cell_id: row for row in rows}.values())

    def switcher() -> list[CellChoice]:
        """Only for a person of several cells: each cell, the current one marked. The role chosen in each cell stays
        in the session per cell (accounts.policies.ACTING_ROLE_KEY): switching keeps it."""
        cells = load()
        if len(cells) < 2:
            return []
        assert rows is not None
        granted: dict[int, set[Perm]] = {}
        for row in rows:
            granted.setdefault(row.cell_id, set()).update(ROLE_PERMISSIONS.get(row.role, frozenset()))
        match = getattr(request, "resolver_match", None)
        current = match.kwargs.get("cell") if match is not None else None
        return [
            CellChoice(
                name=row.cell.name,
                slug=row.cell.slug,
                url=_same_page_in(request, row.cell.slug, frozenset(granted[row.cell_id])),
                current=row.cell.slug == current,
            )
            for row in cells
        ]

    return {"user_memberships": load, "cell_switcher": switcher, "demo_without_second_factor": demo_exempt(user)}
