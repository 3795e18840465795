from typing import Any

from django.http import HttpRequest

from .models import User
from .two_factor import demo_exempt


def memberships(request: HttpRequest) -> dict[str, Any]:
    """The cells the user belongs to, for the cell switcher in the header (one query, only when logged in)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {"user_memberships": [], "demo_without_second_factor": False}

    def load() -> list[Any]:
        # One per cell: a person with several roles in a cell has one row per role.
        return list(
            {row.cell_id: row for row in user.memberships.filter(is_active=True).select_related("cell")}.values()
        )

    return {"user_memberships": load, "demo_without_second_factor": demo_exempt(user)}
