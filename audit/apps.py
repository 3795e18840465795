from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Traçabilité"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment check)
        from .guard import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="audit_sqlite_guard")
