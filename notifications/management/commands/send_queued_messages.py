from typing import Any

from django.core.management.base import BaseCommand

from notifications.services import messages_send_queued


class Command(BaseCommand):
    help = "Send the messages still queued (e.g. after the mail server was unreachable)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = messages_send_queued()
        self.stdout.write(f"{sent} message(s) sent.")
