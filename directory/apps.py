from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from territory.services import COMMUNE_USERS

        from .selectors import records_in_commune

        COMMUNE_USERS.append(records_in_commune)
