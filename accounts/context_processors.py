from typing import Any

from django.http import HttpRequest

from .models import User


def memberships(request: HttpRequest) -> dict[str, Any]:
    """The cells the user belongs to, for the cell switcher in the header (one query, only when logged in)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {"user_memberships": []}

    def load() -> list[Any]:
        return list(user.memberships.filter(is_active=True).select_related("cell"))

    return {"user_memberships": load}
