from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from referrals.signals import deadline_near, request_moved, supervisor_asked

        from .receivers import deadline_near_tell, request_moved_tell, supervisor_asked_tell

        request_moved.connect(request_moved_tell, dispatch_uid="notifications_request_moved")
        supervisor_asked.connect(supervisor_asked_tell, dispatch_uid="notifications_supervisor_asked")
        deadline_near.connect(deadline_near_tell, dispatch_uid="notifications_deadline_near")
