"""`manage.py load_demo`: the fictitious data set of `make demo`. Refuses to run outside a demo deployment."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.loader import DEMO_PASSWORD, DemoDataError, DemoSummary, load_demo


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration, toutes fictives : deux cellules, leur territoire, leur annuaire et "
        "des comptes de démonstration. Sans effet si elles sont déjà chargées."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Charger même si AIGUILLAGE_DEMO n'est pas activé (jamais sur une base de production).",
        )

    def handle(self, *args: object, **options: object) -> None:
        # Demo accounts share a published password: loading them into a real deployment would open it to anyone.
        if not getattr(settings, "AIGUILLAGE_DEMO", False) and not options["force"]:
            raise CommandError(
                "Refus de charger les données de démonstration : AIGUILLAGE_DEMO n'est pas activé sur cette "
                "instance. Elles créent des comptes au mot de passe public et ne doivent jamais aller en "
                "production. Sur une instance de démonstration, définissez AIGUILLAGE_DEMO=True ou relancez "
                "avec --force."
            )
        try:
            summary = load_demo()
        except DemoDataError as error:
            raise CommandError(str(error)) from error
        self.write_summary(summary)

    def write_summary(self, summary: DemoSummary) -> None:
        out = self.stdout
        out.write(self.style.WARNING("Attention : données fictives, pour la démonstration uniquement."))
        out.write("Personnes, adresses, téléphones et identifiants sont inventés ; seules les communes sont réelles.")
        if summary.created:
            created = "1 objet créé" if summary.created == 1 else f"{summary.created} objets créés"
            out.write(self.style.SUCCESS(f"Données de démonstration chargées ({created})."))
        else:
            out.write(self.style.SUCCESS("Données de démonstration déjà à jour : rien de nouveau à créer."))
        out.write(f"  Cellules : {summary.cells}")
        out.write(f"  Territoires : {summary.territories} ({summary.communes} communes)")
        out.write(f"  Lieux : {summary.sites}")
        out.write(f"  Professionnels : {summary.professionals}")
        out.write(f"  Ressources de réorientation : {summary.resources}")
        out.write(f"  Demandes : {summary.requests}")
        out.write(f"  Comptes : {summary.users} ({summary.memberships} rattachements à une cellule)")
        out.write("")
        out.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD})")
        rows = [("Identifiant", "Rôle", "Cellule"), *summary.accounts]
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        for username, role, cell in rows:
            out.write(f"  {username:<{widths[0]}}  {role:<{widths[1]}}  {cell}")
