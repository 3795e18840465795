from django.db import models
from django.db.models import F, Q
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from common.holidays import HolidayZone


class Commune(models.Model):
    """A French commune from the official geographic code (COG). Reference data shared by every cell."""

    insee_code = models.CharField(_("INSEE code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    search_name = models.CharField(max_length=100, db_index=True, editable=False)
    postal_codes = models.CharField(_("postal codes"), max_length=255, blank=True)
    department = models.CharField(_("department"), max_length=3, db_index=True)
    region = models.CharField(_("region"), max_length=3, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ["search_name", "insee_code"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        first_postal_code = self.postal_codes.split(" ", 1)[0]
        return f"{self.name} ({first_postal_code or self.department})"

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Cell(models.Model):
    """A coordination cell (CSNP): the tenant. Every piece of cell data hangs from one cell."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    slug = models.SlugField(_("short name (in addresses)"), max_length=50, unique=True)
    phone = PhoneNumberField(_("professionals-only phone"), blank=True)
    # Never the professionals-only number (the seeds): without this one, patients are given no number at all.
    patient_phone = PhoneNumberField(_("phone for patients"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    holiday_zone = models.CharField(
        _("public holidays of"),
        max_length=5,
        choices=HolidayZone.choices,
        blank=True,
        default=HolidayZone.METROPOLITAN,
        help_text=_("Recurring plans, tours and spots skip these public holidays unless a plan says otherwise."),
    )
    open_on_public_holidays = models.BooleanField(
        _("open on public holidays"),
        default=False,
        help_text=_("Otherwise the cell is closed on the public holidays of its zone (when it has opening hours)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cell")
        verbose_name_plural = _("cells")

    def __str__(self) -> str:
        return self.name


class OpeningRange(models.Model):
    """One range of a weekday's opening hours, in Europe/Paris wall-clock time (territory/opening.py reads them).
    A cell with none is always open."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="opening_ranges", verbose_name=_("cell"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=sorted(WEEKDAYS.items()))  # 0 = Monday
    starts_at = models.TimeField(_("opens at"))
    ends_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["cell", "weekday", "starts_at"]
        verbose_name = _("opening range")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="opening_range_starts_before_end"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_range_weekday_0_to_6"),
            models.UniqueConstraint(fields=["cell", "weekday", "starts_at"], name="opening_range_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class Closure(models.Model):
    """Days the cell is closed whatever its hours (annual closure, a training day): from `first_day` to `last_day`
    included, Europe/Paris dates."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="closures", verbose_name=_("cell"))
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=150)

    class Meta:
        ordering = ["cell", "first_day"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(condition=Q(first_day__lte=F("last_day")), name="closure_first_day_not_after_last"),
        ]

    def __str__(self) -> str:
        return f"{self.first_day:%d/%m/%Y}–{self.last_day:%d/%m/%Y} {self.reason}"


class Territory(models.Model):
    """The territory of one CPTS: a set of communes. A cell serves one or more territories."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="territories", verbose_name=_("cell"))
    name = models.CharField(_("name"), max_length=150)
    finess = models.CharField(
        _("FINESS of the CPTS"),
        max_length=9,
        blank=True,
        help_text=_("9 characters; identifies the CPTS to the national SAS platform."),
    )
    communes = models.ManyToManyField(Commune, related_name="territories", verbose_name=_("communes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        constraints = [
            models.UniqueConstraint(fields=["cell", "name"], name="territory_unique_name_per_cell"),
            models.UniqueConstraint(fields=["finess"], condition=~Q(finess=""), name="territory_unique_finess"),
        ]

    def __str__(self) -> str:
        return self.name


class PointPrecision(models.TextChoices):
    """How precise a point is: BAN's house number, BAN's street (or place), or the commune's representative point."""

    ADDRESS = "address", _("address")
    STREET = "street", _("street")
    COMMUNE = "commune", _("commune")


class GeocodedAddress(models.Model):
    """What BAN answered for one street address in one commune, kept so that it is asked once (territory/geocoding.py).

    Shared by every cell and process (the web processes and the worker), and it survives restarts, hence a table and
    not the per-process cache. The address itself is not stored, only a hash of its normalised form: the table says
    where an address lies (public BAN data), not whose it is. A "commune" row records that BAN found no trustworthy
    match, so that it is not asked again; a failed call (timeout, error) is never stored. Rows older than
    AIGUILLAGE_BAN_CACHE_DAYS are asked again and removed.
    """

    key = models.CharField(max_length=64, unique=True)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    precision = models.CharField(max_length=10, choices=PointPrecision.choices)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    fetched_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("geocoded address")
        verbose_name_plural = _("geocoded addresses")
        constraints = [
            models.CheckConstraint(
                # A match has a valid point; "no match" has none (the commune's point is read from the commune).
                condition=Q(precision="commune", latitude__isnull=True, longitude__isnull=True)
                | Q(
                    ~Q(precision="commune"),
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__range=(-90, 90),
                    longitude__range=(-180, 180),
                ),
                name="geocoded_address_point_matches_precision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune_id}:{self.key[:12]} ({self.precision})"
