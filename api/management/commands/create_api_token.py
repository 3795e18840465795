from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Membership, Role
from api.services import api_token_create
from common.errors import DomainError


class Command(BaseCommand):
    help = "Create a bearer token for a requester's software; the token is printed once and never stored in clear."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--cell", help="the cell's short name, when the account belongs to several cells")
        parser.add_argument("--label", default="", help="what the token is for (e.g. 'logiciel du SAS 61')")

    def handle(self, *args: object, **options: object) -> None:
        memberships = Membership.objects.filter(
            user__username=options["username"], role=Role.REQUESTER, is_active=True
        ).select_related("cell")
        if options["cell"]:
            memberships = memberships.filter(cell__slug=options["cell"])
        found = list(memberships)
        if not found:
            raise CommandError(f"Aucun adresseur actif « {options['username']} » (dans cette cellule).")
        if len(found) > 1:
            cells = ", ".join(m.cell.slug for m in found)
            raise CommandError(f"Ce compte est adresseur dans plusieurs cellules ({cells}) : précisez --cell.")
        try:
            _token, clear = api_token_create(membership=found[0], label=str(options["label"]))
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            f"Jeton pour {found[0].user} ({found[0].cell}) — à copier maintenant, il ne sera plus affiché :"
        )
        self.stdout.write(clear)
