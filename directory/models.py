from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from common.text import normalize
from territory.models import Cell, Commune


class SiteKind(models.TextChoices):
    PRACTICE = "practice", _("Medical practice")
    HEALTH_CENTRE = "health_centre", _("Health centre")
    PHARMACY = "pharmacy", _("Pharmacy")
    HOSPITAL = "hospital", _("Hospital / emergency department")
    RADIOLOGY = "radiology", _("Radiology centre")
    LABORATORY = "laboratory", _("Laboratory")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy practice")
    NURSING = "nursing", _("Nursing practice")
    TELEMEDICINE_SPOT = "telemedicine_spot", _("Telemedicine spot")
    MOBILE_UNIT = "mobile_unit", _("Médicobus (mobile practice)")
    OTHER = "other", _("Other structure")


class Site(models.Model):
    """A place where care is given or from where patients are sent: practice, pharmacy, spot, the Médicobus…"""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="sites", verbose_name=_("cell"))
    kind = models.CharField(_("kind"), max_length=30, choices=SiteKind.choices)
    name = models.CharField(_("name"), max_length=150)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    # What patients' SMS call the site when its full name would crowd out the day, time or address.
    sms_name = models.CharField(_("name in patients' SMS"), max_length=40, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    finess = models.CharField(_("FINESS"), max_length=9, blank=True)
    hours = models.TextField(_("opening hours"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The values the last Annuaire Santé import gave (address, phone…): a field that still holds its imported value
    # follows the next import, a field the cell changed since is kept (directory/importer.py).
    annuaire_values = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(fields=["cell", "name", "commune"], name="site_unique_name_commune_per_cell"),
            models.CheckConstraint(
                # Both or neither; NULL compared in SQL would pass a range check, hence the explicit isnull=False.
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__range=(-90, 90),
                    longitude__range=(-180, 180),
                ),
                name="site_point_complete_and_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.commune.name}"

    @property
    def point(self) -> tuple[float, float] | None:
        """The site's own point when geocoded, else its commune's point, else None."""
        if self.latitude is not None and self.longitude is not None:
            return (self.latitude, self.longitude)
        if self.commune.has_point:
            return (self.commune.latitude, self.commune.longitude)  # type: ignore[return-value]
        return None


class Profession(models.TextChoices):
    GP = "gp", _("General practitioner")
    SPECIALIST = "specialist", _("Specialist doctor")
    RADIOLOGIST = "radiologist", _("Radiologist")
    NURSE = "nurse", _("Nurse (IDEL)")
    PHARMACIST = "pharmacist", _("Pharmacist")
    MIDWIFE = "midwife", _("Midwife")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    BIOLOGIST = "biologist", _("Medical biologist")
    MEDICAL_ASSISTANT = "medical_assistant", _("Medical assistant")
    OTHER = "other", _("Other profession")


# Addressed as "Dr" (a biologist may be a pharmacist).
DOCTOR_PROFESSIONS = frozenset({Profession.GP, Profession.SPECIALIST, Profession.RADIOLOGIST})


class TeleconsultantTier(models.TextChoices):
    """Order in which a teleconsultant doctor is sought (seed 001)."""

    LOCAL = "local", _("Territory volunteer")
    REGIONAL = "regional", _("Regional pool")
    EXTRA_TERRITORIAL = "extra_territorial", _("Extra-territorial")


# Every MSSanté mailbox lives under this domain: prenom.nom@medecin.mssante.fr, service@ch-exemple.mssante.fr.
MSSANTE_DOMAIN = "mssante.fr"


def is_mssante_address(address: str) -> bool:
    """An address of the MSSanté space (its domain is mssante.fr or under it): the only ones an MSSanté relay
    delivers to (docs/mssante.md)."""
    domain = address.rpartition("@")[2].strip().lower()
    return bool(address.partition("@")[0]) and (domain == MSSANTE_DOMAIN or domain.endswith("." + MSSANTE_DOMAIN))


class Professional(models.Model):
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="professionals", verbose_name=_("cell"))
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    search_name = models.CharField(max_length=210, db_index=True, editable=False)
    profession = models.CharField(_("profession"), max_length=30, choices=Profession.choices)
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True)
    adeli = models.CharField(_("ADELI"), max_length=9, blank=True)
    sites = models.ManyToManyField(Site, related_name="professionals", blank=True, verbose_name=_("sites"))
    is_adherent = models.BooleanField(_("CPTS adherent"), default=False)
    teleconsultant_tier = models.CharField(
        _("teleconsultant tier"),
        max_length=20,
        choices=TeleconsultantTier.choices,
        blank=True,
        help_text=_("Only for doctors who take assisted teleconsultations."),
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    mssante = models.EmailField(_("MSSanté address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The values the last Annuaire Santé import gave (name, profession…), to tell the cell's own changes from stale
    # imported ones: see directory/importer.py.
    annuaire_values = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["search_name"]
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")
        constraints = [
            models.UniqueConstraint(fields=["cell", "rpps"], condition=~Q(rpps=""), name="professional_unique_rpps"),
            models.UniqueConstraint(fields=["cell", "adeli"], condition=~Q(adeli=""), name="professional_unique_adeli"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = normalize(f"{self.last_name} {self.first_name}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def full_name(self) -> str:
        return str(self)

    @property
    def identifier(self) -> str:
        return self.rpps or self.adeli

    def site_names(self) -> str:
        return ", ".join(site.name for site in self.sites.all())

    def long_label(self) -> str:
        """Name, profession and the communes of their sites, as a coordinator picks them on the phone ("Dr Claire
        MARTIN — General practitioner — Argentan"). Reads `sites__commune`: prefetch it for a list."""
        name = f"Dr {self}" if self.profession in DOCTOR_PROFESSIONS else str(self)
        parts = [name, str(self.get_profession_display())]
        if self.specialty:
            parts[1] += f" ({self.specialty})"
        communes = sorted({site.commune.name for site in self.sites.all()})
        if communes:
            parts.append(", ".join(communes))
        return " — ".join(parts)


class ResourceKind(models.TextChoices):
    PHARMACY = "pharmacy", _("Pharmacy")
    NURSING = "nursing", _("Nurses")
    SOS_MEDECINS = "sos_medecins", _("SOS Médecins")
    DUTY_PRACTICE = "duty_practice", _("Maison médicale de garde")
    EMERGENCY = "emergency", _("Hospital emergency department")
    SAMU = "samu", _("SAMU – Centre 15")
    DENTAL_DUTY = "dental_duty", _("Dental on-call service")
    SOCIAL_SERVICES = "social_services", _("Social services")
    CMP = "cmp", _("Medical-psychological centre (CMP)")
    PMI = "pmi", _("Mother and child protection (PMI)")
    OTHER_DOCTOR = "other_doctor", _("Other doctor")
    OTHER = "other", _("Other resource")


class ReorientationResource(models.Model):
    """Where the cell sends a patient when it cannot honour the request itself."""

    cell = models.ForeignKey(
        Cell, on_delete=models.PROTECT, related_name="reorientation_resources", verbose_name=_("cell")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ResourceKind.choices)
    name = models.CharField(_("name"), max_length=150)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("commune")
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    hours = models.TextField(_("hours"), blank=True)
    communes_served = models.ManyToManyField(Commune, related_name="+", blank=True, verbose_name=_("communes served"))
    notes = models.TextField(_("notes for the coordinators"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("reorientation resource")
        verbose_name_plural = _("reorientation resources")
        constraints = [
            models.UniqueConstraint(fields=["cell", "kind", "name"], name="resource_unique_name_per_cell"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("In progress")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


ACTIVE_IMPORT_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING)


class AnnuaireImport(models.Model):
    """One import of the Annuaire Santé extract (PS_LibreAcces_Personne_activite) into a cell's directory: the file
    waiting for the worker, its progress while it is read, then its summary; rejected lines are ImportIssue rows."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="annuaire_imports", verbose_name=_("cell"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"))
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)  # last sign of life of the worker
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    file_name = models.CharField(_("file"), max_length=255)
    file_path = models.CharField(max_length=500, blank=True)  # emptied once the file is deleted
    file_size = models.BigIntegerField(default=0)
    # "Code profession" values to keep (TRE_G15, e.g. "10", "60"); empty: every profession.
    professions = models.JSONField(default=list, blank=True)
    bytes_read = models.BigIntegerField(default=0)
    lines_read = models.PositiveIntegerField(default=0)
    people_total = models.PositiveIntegerField(default=0)
    people_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Annuaire Santé import")
        verbose_name_plural = _("Annuaire Santé imports")
        constraints = [
            # One import at a time per cell: two would race for the same professionals.
            models.UniqueConstraint(
                fields=["cell"],
                condition=Q(status__in=["queued", "running"]),
                name="annuaire_import_one_active_per_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_IMPORT_STATUSES

    @property
    def percent(self) -> int:
        """How far the worker got: reading the file counts for 90 %, writing the directory for the last 10 %."""
        if self.status == ImportStatus.DONE:
            return 100
        reading = min(self.bytes_read / self.file_size, 1.0) if self.file_size else 0.0
        writing = self.people_done / self.people_total if self.people_total else 0.0
        return int(90 * reading + 10 * writing)


class IssueLevel(models.TextChoices):
    REJECTED = "rejected", _("Rejected")
    WARNING = "warning", _("Imported with a warning")


class ImportIssue(models.Model):
    """A line of the file that was rejected, or imported with a warning: its number, what it named, and why."""

    job = models.ForeignKey(AnnuaireImport, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField(_("line"))
    level = models.CharField(_("level"), max_length=10, choices=IssueLevel.choices)
    code = models.CharField(max_length=30)  # a key of directory.annuaire.REASONS
    params = models.JSONField(default=dict, blank=True)  # the values at fault, for the reason's text
    identifier = models.CharField(_("identifier"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=210, blank=True)

    class Meta:
        ordering = ["line", "pk"]
        indexes = [models.Index(fields=["job", "line"], name="import_issue_job_line")]

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}"

    @property
    def reason(self) -> str:
        from .annuaire import reason_text

        return reason_text(self.code, self.params)


class AgreementStatus(models.TextChoices):
    OFFERED = "offered", _("Offered, waiting for the cell's answer")
    ACCEPTED = "accepted", pgettext_lazy("pool agreement", "Accepted")
    ENDED = "ended", _("Withdrawn or declined")


class PoolAgreement(models.Model):
    """A professional of one cell (their home cell, where their agenda lives) made available to another cell, with the
    tier they have for that cell, from a first day and until an optional last day (Europe/Paris days, both included).
    The home cell's administrator offers; the other cell's administrator accepts; either may end it. Only an accepted
    agreement lets the other cell find and book the professional's free times of the days it covers (decision 0021)."""

    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, related_name="pool_agreements", verbose_name=_("professional")
    )
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="pool_agreements", verbose_name=_("cell"))
    tier = models.CharField(_("tier for this cell"), max_length=20, choices=TeleconsultantTier.choices)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.OFFERED
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("pool agreement")
        verbose_name_plural = _("pool agreements")
        indexes = [
            # Which pool professionals a cell may use (finder, pairing, booking): by cell, accepted ones.
            models.Index(
                fields=["cell", "professional", "starts_on"],
                name="pool_agreement_accepted",
                condition=Q(status="accepted"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="pool_agreement_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="offered") | Q(status="ended") | Q(accepted_at__isnull=False),
                name="pool_agreement_accepted_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.professional} → {self.cell}"

    def covers(self, day: date) -> bool:
        """Whether the agreement counts on this (Europe/Paris) day: accepted, and the day within its dates."""
        return (
            self.status == AgreementStatus.ACCEPTED
            and self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
        )
