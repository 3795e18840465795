"""Where a request comes from, as the indicators name it: the SAS (the regulators of the 15 and of the 116 117) apart
from the other structures, else the requester's profession, the requesting structure's kind, or the QR code.

A request is the SAS's when the account that sent it, or the structure it was sent for, is a requester of the cell
declared as "SAS / Centre 15 regulator" (any such membership, active or not: a request stays the SAS's after the
regulator leaves). One EXISTS subquery per request row, evaluated inside the aggregation."""

from __future__ import annotations

from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from accounts.models import Membership, RequesterType, Role

SAS = "sas"
QR = "qr"
SAS_LABEL = gettext_lazy("SAS (15 / 116 117)")


def is_sas(prefix: str = "") -> Exists:
    """True for a request (`prefix` + request fields) sent by or for a SAS regulator of its cell."""
    regulators = Membership.objects.filter(
        cell=OuterRef(prefix + "cell"), role=Role.REQUESTER, requester_type=RequesterType.SAS_REGULATOR
    ).filter(Q(user=OuterRef(prefix + "submitted_by")) | Q(site=OuterRef(prefix + "requester_site")))
    return Exists(regulators)


def origin_key(prefix: str = "") -> Case:
    """The origin's code: "sas", else a profession (directory.Profession), a site kind (directory.SiteKind), "qr"."""
    return Case(
        When(is_sas(prefix), then=Value(SAS)),
        default=Coalesce(prefix + "requester_professional__profession", prefix + "requester_site__kind", Value(QR)),
    )
