from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interop"
    verbose_name = _("FHIR and the SAS platform")

    def ready(self) -> None:
        from agenda.signals import booking_changed

        from .receivers import booking_changed_to_sas

        booking_changed.connect(booking_changed_to_sas, dispatch_uid="interop_booking_changed_to_sas")
