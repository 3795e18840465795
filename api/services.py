"""API tokens: created for a requester's membership, shown once, stored as a hash."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role
from common.errors import DomainError

from .models import ApiToken, new_token, token_digest

NOT_A_REQUESTER = _("API tokens are for requesters (the software of an organisation that sends patients).")


@transaction.atomic
def api_token_create(*, membership: Membership, label: str = "") -> tuple[ApiToken, str]:
    """Returns the stored token and its clear value, which is never shown again."""
    if membership.role != Role.REQUESTER or not membership.is_active:
        raise DomainError(NOT_A_REQUESTER)
    clear = new_token()
    token = ApiToken.objects.create(membership=membership, digest=token_digest(clear), hint=clear[:10], label=label)
    return token, clear


def api_token_authenticate(clear: str) -> Membership | None:
    """The active requester membership behind a bearer token, or None."""
    token = (
        ApiToken.objects.select_related(
            "membership__cell", "membership__user", "membership__professional", "membership__site"
        )
        .filter(
            digest=token_digest(clear),
            revoked_at__isnull=True,
            membership__is_active=True,
            membership__role=Role.REQUESTER,
            membership__user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.membership
