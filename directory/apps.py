from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from territory.signals import commune_leaving

        from .receivers import commune_leaving_records

        commune_leaving.connect(commune_leaving_records, dispatch_uid="directory_commune_leaving")
