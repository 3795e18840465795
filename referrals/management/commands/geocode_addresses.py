from typing import Any

from django.core.management.base import BaseCommand, CommandError

from directory.models import Site
from directory.tasks import geocode_site
from referrals.models import Request
from referrals.states import OPEN
from referrals.tasks import geocode_patient_address
from territory.geocoding import ban_enabled, geocoded_addresses_purge


class Command(BaseCommand):
    help = (
        "With BAN geocoding on: geocode the sites that have an address and no point, and the addresses of the open "
        "requests (answers BAN already gave are reused); first remove the geocoded addresses past "
        "AIGUILLAGE_BAN_CACHE_DAYS. Run it once after turning geocoding on; daily afterwards is harmless."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = geocoded_addresses_purge()
        if not ban_enabled():
            self.stdout.write(f"{removed} old geocoded address(es) removed.")
            raise CommandError("BAN geocoding is off (AIGUILLAGE_BAN_URL is empty): nothing geocoded.")
        sites = Site.objects.filter(latitude__isnull=True).exclude(address="").values_list("pk", flat=True)
        for pk in sites:
            geocode_site.call(pk)
        requests = (
            Request.objects.filter(status__in=OPEN, anonymised_at__isnull=True)
            .exclude(patient_street="")
            .values_list("pk", flat=True)
        )
        for pk in requests:
            geocode_patient_address.call(pk)
        placed = Site.objects.filter(pk__in=list(sites), latitude__isnull=False).count()
        self.stdout.write(
            f"{removed} old geocoded address(es) removed; {placed} of {len(sites)} site(s) placed; "
            f"{len(requests)} open request(s) looked up."
        )
