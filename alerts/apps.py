from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alert cascades")

    def ready(self) -> None:
        from referrals.signals import request_moved

        from .receivers import request_moved_stop

        request_moved.connect(request_moved_stop, dispatch_uid="alerts_request_moved")
