from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


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
    email = models.EmailField(_("e-mail"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cell")
        verbose_name_plural = _("cells")

    def __str__(self) -> str:
        return self.name


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
