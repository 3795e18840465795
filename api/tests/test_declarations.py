"""Every API operation declares what it requires, as every view does (tests/test_isolation.py)."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Role
from accounts.policies import PUBLIC, role_allows
from api.v1 import BearerToken, api


def operations() -> list[Any]:
    return [
        operation
        for _prefix, router in api._routers
        for path_view in router.path_operations.values()
        for operation in path_view.operations
    ]


def test_the_api_has_operations_to_check() -> None:
    assert {op.view_func.__name__ for op in operations()} >= {"create_request", "get_request"}


@pytest.mark.parametrize("operation", operations(), ids=lambda op: op.view_func.__name__)
def test_every_operation_declares_its_permission_and_its_authentication(operation: Any) -> None:
    name = operation.view_func.__name__
    permission = getattr(operation.view_func, "permission", None)
    assert permission is not None, f"{name} declares no permission: decorate it with @declare(Perm…)"
    if permission == PUBLIC:
        return
    assert any(isinstance(auth, BearerToken) for auth in operation.auth_callbacks), f"{name} takes no bearer token"
    # A token authenticates a requester's membership only (api_token_authenticate): the permission must be theirs.
    assert role_allows(Role.REQUESTER, permission), f"{name} requires {permission}, which no token can carry"
