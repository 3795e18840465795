# A request may need a series of sessions (physiotherapy, nursing): how many, and the timeline's line for each.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0010_tags"),
    ]

    operations = [
        migrations.AddField(
            model_name="request",
            name="sessions",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="sessions"),
        ),
        migrations.AddConstraint(
            model_name="request",
            constraint=models.CheckConstraint(
                condition=models.Q(("sessions__gte", 1), ("sessions__lte", 20)), name="request_sessions_in_range"
            ),
        ),
        migrations.AddField(
            model_name="request",
            name="sessions_taken",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddConstraint(
            model_name="request",
            constraint=models.CheckConstraint(
                condition=models.Q(("sessions_taken__lte", models.F("sessions"))),
                name="request_sessions_taken_within_series",
            ),
        ),
        migrations.AlterField(
            model_name="requestevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("move", "Status change"),
                    ("callback", "Callback"),
                    ("note", "Note"),
                    ("taken", "Taken"),
                    ("released", "Released"),
                    ("duplicate", "Possible duplicate"),
                    ("question", "Question to the supervisor"),
                    ("qualified", "Qualified"),
                    ("answer", "Supervisor's answer"),
                    ("appointment_moved", "Appointment moved"),
                    ("alert", "Effectors alerted"),
                    ("deadline_warning", "Deadline near: the cell alerted"),
                    ("debrief", "Debrief by the spot's IDEL"),
                    ("tags", "Tags changed"),
                    ("session", "Session of a series"),
                ],
                max_length=20,
            ),
        ),
    ]
