"""Writes to accounts: creating a member of a cell, changing their role or links, ending their access."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from directory.models import Professional, Site
from territory.models import Cell

from .models import Membership, Role, User

USERNAME_TAKEN = _("This username is already taken.")
ALREADY_MEMBER = _("This user is already a member of the cell.")
REQUESTER_TYPE_REQUIRED = _("Say what kind of requester this is.")
REQUESTER_LINK_REQUIRED = _("Link the requester to a professional or a structure of the directory.")
EFFECTOR_LINK_REQUIRED = _("Link the effector to their professional record in the directory.")
LINK_OF_OTHER_CELL = _("This record does not belong to the cell.")


def _check_links(
    *, cell: Cell, role: str, requester_type: str, professional: Professional | None, site: Site | None
) -> None:
    if professional is not None and professional.cell_id != cell.pk:
        raise DomainError(LINK_OF_OTHER_CELL, field="professional")
    if site is not None and site.cell_id != cell.pk:
        raise DomainError(LINK_OF_OTHER_CELL, field="site")
    if role == Role.REQUESTER:
        if not requester_type:
            raise DomainError(REQUESTER_TYPE_REQUIRED, field="requester_type")
        if professional is None and site is None:
            raise DomainError(REQUESTER_LINK_REQUIRED, field="professional")
    if role == Role.EFFECTOR and professional is None:
        raise DomainError(EFFECTOR_LINK_REQUIRED, field="professional")


@transaction.atomic
def member_create(
    *,
    cell: Cell,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    role: str,
    requester_type: str = "",
    professional: Professional | None = None,
    site: Site | None = None,
) -> Membership:
    """Create a user and their membership of the cell in one go; the password follows the validators (12+ chars)."""
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(USERNAME_TAKEN, field="username")
    _check_links(cell=cell, role=role, requester_type=requester_type, professional=professional, site=site)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from error
    user.set_password(password)
    user.save()
    return Membership.objects.create(
        user=user,
        cell=cell,
        role=role,
        requester_type=requester_type if role == Role.REQUESTER else "",
        professional=professional,
        site=site,
    )


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    requester_type: str = "",
    professional: Professional | None = None,
    site: Site | None = None,
    is_active: bool = True,
) -> Membership:
    """Change a member's role, links or access. A deactivated membership loses access to the cell at once."""
    _check_links(cell=membership.cell, role=role, requester_type=requester_type, professional=professional, site=site)
    user = membership.user
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.save(update_fields=["first_name", "last_name", "email"])
    membership.role = role
    membership.requester_type = requester_type if role == Role.REQUESTER else ""
    membership.professional = professional
    membership.site = site
    membership.is_active = is_active
    membership.save()
    return membership
