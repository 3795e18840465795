from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The coordinator's desk: the queue, the intake and the request page, where requests, the agenda and the
    messages sent are put side by side. It sits above those apps, which never import it (decision 0003)."""

    name = "desk"
    verbose_name = "Bureau de coordination"
