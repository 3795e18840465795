from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from referrals.signals import request_moved

        from .receivers import request_moved_survey

        request_moved.connect(request_moved_survey, dispatch_uid="surveys_request_moved")
