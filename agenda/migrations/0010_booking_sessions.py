# A request may need a series of sessions: each booking says which session it is, and the request counts those
# taken (booked or recorded). Until now a request had at most one booking that was not cancelled: session 1.

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery


def count_sessions_taken(apps, schema_editor):
    Request = apps.get_model("referrals", "Request")
    Booking = apps.get_model("agenda", "Booking")
    taken = (
        Booking.objects.filter(request=OuterRef("pk"))
        .exclude(status="cancelled")
        .order_by()
        .values("request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    with_bookings = Booking.objects.exclude(status="cancelled").values("request")
    Request.objects.filter(pk__in=with_bookings).update(sessions_taken=Subquery(taken))


def forget_sessions_taken(apps, schema_editor):
    apps.get_model("referrals", "Request").objects.update(sessions_taken=0)


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0009_holidays_and_seasons"),
        ("referrals", "0011_request_sessions"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="session",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="session"),
        ),
        migrations.RemoveConstraint(model_name="booking", name="booking_one_active_per_request"),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "cancelled"), _negated=True),
                fields=("request", "session"),
                name="booking_one_per_session",
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.CheckConstraint(condition=models.Q(("session__gte", 1)), name="booking_session_from_one"),
        ),
        migrations.RunPython(count_sessions_taken, forget_sessions_taken),
    ]
