"""Writes to the directory. Each service checks the rules a form cannot see alone, then saves in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from common.identifiers import InvalidIdentifier, check_adeli, check_finess, check_rpps
from common.locking import lock_wait_bounded
from territory.geocoding import ban_enabled
from territory.models import Cell, Commune
from territory.selectors import cell_communes, commune_in_cell

from . import annuaire
from .importer import Importer, ProgressCallback
from .models import (
    ACTIVE_IMPORT_STATUSES,
    AgreementStatus,
    AnnuaireImport,
    ImportStatus,
    PoolAgreement,
    Profession,
    Professional,
    ReorientationResource,
    Site,
    TeleconsultantTier,
)

COMMUNE_OUTSIDE_TERRITORY = _("%(commune)s is not in the territory of %(cell)s.")
PROFESSIONAL_DUPLICATE_RPPS = _("%(name)s already has this RPPS number in the directory.")
PROFESSIONAL_DUPLICATE_ADELI = _("%(name)s already has this ADELI number in the directory.")
PROFESSIONAL_IDENTIFIER_REQUIRED = _("A health professional needs an RPPS or ADELI number.")
SITE_DUPLICATE = _("A site with this name already exists in this commune.")
RESOURCE_DUPLICATE = _("A resource of this kind with this name already exists.")
SITE_OF_OTHER_CELL = _("This site does not belong to the cell.")
POINT_INCOMPLETE = _("Give both the latitude and the longitude, or neither (the commune's point is then used).")
LATITUDE_OUT_OF_RANGE = _("A latitude lies between -90 and 90 degrees.")
LONGITUDE_OUT_OF_RANGE = _("A longitude lies between -180 and 180 degrees.")

# Professions registered in RPPS or ADELI: they must carry an identifier (an assistant does not have one).
PROFESSIONS_WITH_IDENTIFIER = frozenset(Profession.values) - {Profession.MEDICAL_ASSISTANT, Profession.OTHER}


def _require_commune_in_cell(commune: Commune | None, cell: Cell, field: str = "commune") -> None:
    if commune is not None and not commune_in_cell(commune, cell):
        raise DomainError(COMMUNE_OUTSIDE_TERRITORY % {"commune": commune, "cell": cell.name}, field=field)


def _require_valid_point(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise DomainError(POINT_INCOMPLETE, field="longitude" if longitude is None else "latitude")
    if latitude is not None and not -90 <= latitude <= 90:
        raise DomainError(LATITUDE_OUT_OF_RANGE, field="latitude")
    if longitude is not None and not -180 <= longitude <= 180:
        raise DomainError(LONGITUDE_OUT_OF_RANGE, field="longitude")


def _apply(instance: Any, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def site_save(*, cell: Cell, site: Site | None = None, **fields: Any) -> Site:
    """Create or change a site. Its commune must lie in the cell's territory; its FINESS, when given, must be valid.

    With BAN geocoding on, a site saved with an address and no point is geocoded in the background; a new address
    saved with the old point drops that point (it was the old address's) and is geocoded again."""
    site = site or Site(cell=cell)
    before = (site.address, site.commune_id, site.latitude, site.longitude) if site.pk else None
    _apply(site, fields)
    if ban_enabled() and before is not None:
        moved = (site.address, site.commune_id) != before[:2]
        if moved and (site.latitude, site.longitude) == before[2:]:
            site.latitude = site.longitude = None
    _require_commune_in_cell(site.commune, cell)
    _require_valid_point(site.latitude, site.longitude)
    if site.finess:
        try:
            site.finess = check_finess(site.finess).value
        except InvalidIdentifier as error:
            raise DomainError(error.message, field="finess") from error
    duplicate = Site.objects.filter(cell=cell, name__iexact=site.name, commune=site.commune).exclude(pk=site.pk)
    if duplicate.exists():
        raise DomainError(SITE_DUPLICATE, field="name")
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError as error:  # the same site saved at the same moment by someone else
        raise DomainError(SITE_DUPLICATE, field="name") from error
    if ban_enabled() and site.address and site.latitude is None:
        from .tasks import geocode_site

        geocode_site.enqueue(site.pk)  # in this transaction: a rolled-back save queues nothing
    return site


@transaction.atomic
def professional_save(
    *,
    cell: Cell,
    professional: Professional | None = None,
    sites: Iterable[Site] | None = None,
    **fields: Any,
) -> Professional:
    """Create or change a professional.

    RPPS and ADELI are checked (a failed RPPS key is only a warning, returned by `identifier_warnings`); the same
    RPPS or ADELI twice in one cell is refused with the name of the professional who has it; sites must be the cell's.
    """
    professional = professional or Professional(cell=cell)
    _apply(professional, fields)
    try:
        if professional.rpps:
            professional.rpps = check_rpps(professional.rpps).value
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="rpps") from error
    try:
        if professional.adeli:
            professional.adeli = check_adeli(professional.adeli).value
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="adeli") from error
    if professional.profession in PROFESSIONS_WITH_IDENTIFIER and not (professional.rpps or professional.adeli):
        raise DomainError(PROFESSIONAL_IDENTIFIER_REQUIRED, field="rpps")
    others = Professional.objects.filter(cell=cell).exclude(pk=professional.pk)
    if professional.rpps and (twin := others.filter(rpps=professional.rpps).first()):
        raise DomainError(PROFESSIONAL_DUPLICATE_RPPS % {"name": twin}, field="rpps", code="duplicate")
    if professional.adeli and (twin := others.filter(adeli=professional.adeli).first()):
        raise DomainError(PROFESSIONAL_DUPLICATE_ADELI % {"name": twin}, field="adeli", code="duplicate")
    site_list = list(sites) if sites is not None else None
    if site_list is not None and any(site.cell_id != cell.pk for site in site_list):
        raise DomainError(SITE_OF_OTHER_CELL, field="sites")
    try:
        with transaction.atomic():
            professional.save()
    except IntegrityError as error:  # the same identifier saved at the same moment by someone else
        field = "rpps" if professional.rpps and others.filter(rpps=professional.rpps).exists() else "adeli"
        message = PROFESSIONAL_DUPLICATE_RPPS if field == "rpps" else PROFESSIONAL_DUPLICATE_ADELI
        raise DomainError(message % {"name": professional}, field=field) from error
    if site_list is not None:
        professional.sites.set(site_list)
    return professional


def identifier_warnings(professional: Professional) -> list[str]:
    """Warnings to show after saving (a failed RPPS check key): the record is kept, the user is told to check."""
    if not professional.rpps:
        return []
    return [str(w) for w in check_rpps(professional.rpps).warnings]


@transaction.atomic
def resource_save(
    *,
    cell: Cell,
    resource: ReorientationResource | None = None,
    communes_served: Iterable[Commune] | None = None,
    **fields: Any,
) -> ReorientationResource:
    """Create or change a reorientation resource; its commune and the communes it serves lie in the territory."""
    resource = resource or ReorientationResource(cell=cell)
    _apply(resource, fields)
    _require_commune_in_cell(resource.commune, cell)
    served = list(communes_served) if communes_served is not None else None
    if served:
        inside = set(cell_communes(cell).filter(pk__in=[c.pk for c in served]).values_list("pk", flat=True))
        for commune in served:
            if commune.pk not in inside:
                raise DomainError(
                    COMMUNE_OUTSIDE_TERRITORY % {"commune": commune, "cell": cell.name},
                    field="communes_served",
                )
    duplicate = ReorientationResource.objects.filter(cell=cell, kind=resource.kind, name__iexact=resource.name)
    if duplicate.exclude(pk=resource.pk).exists():
        raise DomainError(RESOURCE_DUPLICATE, field="name")
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError as error:  # the same resource saved at the same moment by someone else
        raise DomainError(RESOURCE_DUPLICATE, field="name") from error
    if served is not None:
        resource.communes_served.set(served)
    return resource


# --- Annuaire Santé import -----------------------------------------------------------------------------------------

IMPORT_ALREADY_RUNNING = _("An Annuaire Santé import is already in progress for this cell: wait until it ends.")
IMPORT_INTERRUPTED = _("The import stopped before its end (was the worker stopped?). Send the file again.")
IMPORT_REPLACED = _("Replaced by a newer import before it started.")
IMPORT_UNEXPECTED = _(
    "The import stopped on an unexpected error; what was already written stays. Send the file again, or tell the "
    "platform administrator if it happens again."
)

logger = logging.getLogger(__name__)


def _upload_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.AIGUILLAGE_ANNUAIRE_DIR)


def _is_uploaded(path: str) -> bool:
    """Only files the upload stored are deleted after their import (never a file named to the command)."""
    if not path:
        return False
    root = Path(settings.AIGUILLAGE_ANNUAIRE_DIR).resolve()
    return root in Path(path).resolve().parents


def _delete_file(job: AnnuaireImport) -> None:
    if _is_uploaded(job.file_path):
        Path(job.file_path).unlink(missing_ok=True)
    job.file_path = ""


def annuaire_import_upload(*, cell: Cell, user: Any, upload: UploadedFile, professions: list[str]) -> AnnuaireImport:
    """Store an uploaded extract (moved from Django's temporary file, never held in memory), check that it is the
    Annuaire Santé extract (its header line), and queue its import for the worker."""
    name = f"{cell.slug}/{timezone.now():%Y%m%d-%H%M%S}-{upload.name or 'annuaire.txt'}"
    storage = _upload_storage()
    path = storage.path(storage.save(name, upload))
    try:
        annuaire.check_extract(path)
    except annuaire.ExtractError as error:
        Path(path).unlink(missing_ok=True)
        raise DomainError(error.message, field="file") from error
    try:
        return annuaire_import_create(
            cell=cell,
            user=user,
            file_path=path,
            file_name=(upload.name or "")[:255],
            file_size=Path(path).stat().st_size,
            professions=professions,
        )
    except DomainError:
        Path(path).unlink(missing_ok=True)
        raise


def annuaire_import_create(
    *,
    cell: Cell,
    user: Any,
    file_path: str,
    file_name: str,
    file_size: int,
    professions: list[str],
    enqueue: bool = True,
) -> AnnuaireImport:
    """Record an import and (unless the caller runs it itself) queue it for the worker, in one transaction.

    One import at a time per cell: a queued one not started yet is replaced; a running one without progress for
    AIGUILLAGE_ANNUAIRE_STALE_MINUTES is taken as interrupted; a running one alive refuses the new one.
    """
    from .tasks import run_annuaire_import

    now = timezone.now()
    stale_before = now - timedelta(minutes=settings.AIGUILLAGE_ANNUAIRE_STALE_MINUTES)
    try:
        with transaction.atomic():
            for job in AnnuaireImport.objects.select_for_update().filter(cell=cell, status__in=ACTIVE_IMPORT_STATUSES):
                if job.status == ImportStatus.QUEUED:
                    message = IMPORT_REPLACED
                elif (job.progress_at or job.started_at or job.created_at) < stale_before:
                    message = IMPORT_INTERRUPTED
                else:
                    raise DomainError(IMPORT_ALREADY_RUNNING, field="file", code="running")
                _delete_file(job)
                job.status, job.finished_at, job.error = ImportStatus.FAILED, now, str(message)
                job.save(update_fields=["status", "finished_at", "error", "file_path"])
            job = AnnuaireImport.objects.create(
                cell=cell,
                created_by=user,
                created_at=now,
                file_name=file_name,
                file_path=file_path,
                file_size=file_size,
                professions=sorted(set(professions)),
            )
            if enqueue:
                run_annuaire_import.enqueue(job.pk)
    except IntegrityError as error:  # another import of the cell recorded at the same moment
        raise DomainError(IMPORT_ALREADY_RUNNING, field="file", code="running") from error
    return job


def annuaire_import_run(*, job_pk: int, on_progress: ProgressCallback | None = None) -> AnnuaireImport | None:
    """Run a queued import (the worker's task, or the command). The job is claimed by a conditional UPDATE from
    "queued" to "running": a second worker, or the same task run twice, does nothing. The uploaded file is deleted
    at the end, whatever happened."""
    now = timezone.now()
    claimed = AnnuaireImport.objects.filter(pk=job_pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, progress_at=now
    )
    if not claimed:
        return None
    job = AnnuaireImport.objects.get(pk=job_pk)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            Importer(job, on_progress=on_progress).run()
    except annuaire.ExtractError as error:
        job.status, job.error = ImportStatus.FAILED, str(error.message)
    except Exception:
        logger.exception("Annuaire Santé import %s failed", job_pk)
        job.status, job.error = ImportStatus.FAILED, str(IMPORT_UNEXPECTED)
    else:
        job.status = ImportStatus.DONE
    finally:
        _delete_file(job)
    job.finished_at = job.progress_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "error",
            "finished_at",
            "progress_at",
            "file_path",
            "file_size",
            "bytes_read",
            "lines_read",
            "people_total",
            "people_done",
            "summary",
        ]
    )
    return job


# Pools shared by several cells (decision 0021): a professional of one cell offered to another, accepted there.
POOL_NOT_YOUR_PROFESSIONAL = _("Only the professional's own cell may offer them to another cell.")
POOL_HOME_CELL = _("The professional already belongs to this cell: choose another cell.")
POOL_DATES_REVERSED = _("The last day comes before the first day.")
POOL_STARTS_IN_PAST = _("The first day cannot be in the past.")
POOL_OVERLAP = _(
    "%(name)s is already offered to %(cell)s for days that overlap these (%(dates)s): end that agreement first."
)
POOL_NOT_OFFERED = _("This agreement is no longer waiting for an answer.")
POOL_NOT_YOURS_TO_ACCEPT = _("Only the cell the professional is offered to may accept.")
POOL_EXPIRED = _("This offer's last day has passed: the professional's cell must offer again.")
POOL_ALREADY_ENDED = _("This agreement has already ended.")
POOL_END_IN_PAST = _("An agreement ends today at the earliest: the days already past stay as they were.")
POOL_NOT_A_PARTY = _("Only the two cells of the agreement may end it.")
POOL_CHANGED_MEANWHILE = _(
    "The other cell answered this agreement meanwhile: nothing was changed. Here it is as it is now."
)
POOL_END_NOT_EARLIER = _(
    "This agreement already ends on %(day)s: to end it sooner, choose an earlier last day. Nothing was changed."
)
POOL_NO_TIER = _("Choose the tier the professional has for that cell.")
POOL_END_DATE_INVALID = _("Give the last day as a date, or leave it empty for today.")


def _dates_text(agreement: PoolAgreement) -> str:
    first = formats.date_format(agreement.starts_on, "SHORT_DATE_FORMAT")
    if agreement.ends_on is None:
        return str(_("from %(first)s") % {"first": first})
    last = formats.date_format(agreement.ends_on, "SHORT_DATE_FORMAT")
    return str(_("%(first)s to %(last)s") % {"first": first, "last": last})


def _refuse_overlap(*, professional: Professional, cell: Cell, starts_on: date, ends_on: date | None) -> None:
    """No two agreements (offered or accepted) for one professional and one cell on a same day. The caller holds the
    professional's row lock, so two offers at once are checked one after the other."""
    overlapping = PoolAgreement.objects.filter(
        professional=professional,
        cell=cell,
        status__in=(AgreementStatus.OFFERED, AgreementStatus.ACCEPTED),
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    overlapping = overlapping.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    other = overlapping.select_related("cell").first()
    if other is not None:
        message = POOL_OVERLAP % {"name": professional, "cell": other.cell.name, "dates": _dates_text(other)}
        raise DomainError(message, field="starts_on", code="overlap")


def _lock_professional(professional: Professional) -> Professional:
    """The professional's row, locked: every write to their agreements takes it first (on SQLite the write lock of
    the IMMEDIATE transaction already serialises writers)."""
    return Professional.objects.select_for_update().get(pk=professional.pk)


@transaction.atomic
@lock_wait_bounded()
def pool_agreement_offer(
    *,
    cell: Cell,
    professional: Professional,
    to_cell: Cell,
    tier: str,
    starts_on: date,
    ends_on: date | None,
    user: Any,
    now: datetime | None = None,
) -> PoolAgreement:
    """The professional's home cell offers them to another cell, with their tier there, from a day (until a day).
    Refused: a professional of another cell, an offer to their own cell, reversed dates, a first day already past,
    days overlapping another offered or accepted agreement of the same professional with the same cell."""
    now = now or timezone.now()
    if professional.cell_id != cell.pk:
        raise DomainError(POOL_NOT_YOUR_PROFESSIONAL, field="professional")
    if to_cell.pk == professional.cell_id:
        raise DomainError(POOL_HOME_CELL, field="to_cell")
    if tier not in TeleconsultantTier.values:
        raise DomainError(POOL_NO_TIER, field="tier")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(POOL_DATES_REVERSED, field="ends_on")
    if starts_on < timezone.localdate(now):
        raise DomainError(POOL_STARTS_IN_PAST, field="starts_on")
    professional = _lock_professional(professional)
    _refuse_overlap(professional=professional, cell=to_cell, starts_on=starts_on, ends_on=ends_on)
    return PoolAgreement.objects.create(
        professional=professional,
        cell=to_cell,
        tier=tier,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=user,
        created_at=now,
    )


@transaction.atomic
@lock_wait_bounded()
def pool_agreement_accept(
    *, cell: Cell, agreement: PoolAgreement, user: Any, now: datetime | None = None
) -> PoolAgreement:
    """The cell the professional is offered to accepts: from then on (and on the agreement's days) it finds and
    books the professional's free times. Only a waiting offer, to this cell, whose last day has not passed."""
    now = now or timezone.now()
    if agreement.cell_id != cell.pk:
        raise DomainError(POOL_NOT_YOURS_TO_ACCEPT)
    _lock_professional(agreement.professional)
    agreement = PoolAgreement.objects.select_related("professional").get(pk=agreement.pk)
    if agreement.status != AgreementStatus.OFFERED:
        raise DomainError(POOL_NOT_OFFERED, code="not_offered")
    if agreement.ends_on is not None and agreement.ends_on < timezone.localdate(now):
        raise DomainError(POOL_EXPIRED, code="expired")
    agreement.status, agreement.accepted_by, agreement.accepted_at = AgreementStatus.ACCEPTED, user, now
    agreement.save(update_fields=["status", "accepted_by", "accepted_at"])
    return agreement


@transaction.atomic
@lock_wait_bounded()
def pool_agreement_end(
    *,
    cell: Cell,
    agreement: PoolAgreement,
    user: Any,
    last_day: date | None = None,
    now: datetime | None = None,
    seen: str | None = None,
) -> PoolAgreement:
    """Either cell ends the agreement. A waiting offer is withdrawn (by the home cell) or declined (by the other);
    an accepted one runs until `last_day` (today by default, never a past day: appointments already booked stay),
    or is ended outright when it had not started yet. `seen`: the status the person saw (the page's); when it
    changed meanwhile (an offer accepted by the other cell), nothing is done and they are told."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _lock_professional(agreement.professional)
    agreement = PoolAgreement.objects.select_related("professional").get(pk=agreement.pk)
    if cell.pk not in (agreement.cell_id, agreement.professional.cell_id):
        raise DomainError(POOL_NOT_A_PARTY)
    if seen is not None and agreement.status != seen:
        raise DomainError(POOL_CHANGED_MEANWHILE, code="changed")
    over = agreement.ends_on is not None and agreement.ends_on < today
    if agreement.status == AgreementStatus.ENDED or (agreement.status == AgreementStatus.ACCEPTED and over):
        raise DomainError(POOL_ALREADY_ENDED, code="ended")
    last_day = last_day or today
    if last_day < today:
        raise DomainError(POOL_END_IN_PAST, field="last_day")
    if agreement.status == AgreementStatus.ACCEPTED and agreement.ends_on is not None and last_day >= agreement.ends_on:
        day = formats.date_format(agreement.ends_on, "SHORT_DATE_FORMAT")
        raise DomainError(str(POOL_END_NOT_EARLIER) % {"day": day}, field="last_day", code="not_earlier")
    if agreement.status == AgreementStatus.OFFERED or last_day < agreement.starts_on:
        agreement.status = AgreementStatus.ENDED
    elif agreement.ends_on is None or last_day < agreement.ends_on:
        agreement.ends_on = last_day
    agreement.ended_by, agreement.ended_at = user, now
    agreement.save(update_fields=["status", "ends_on", "ended_by", "ended_at"])
    return agreement
