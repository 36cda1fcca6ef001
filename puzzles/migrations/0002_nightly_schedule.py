"""The nightly generation job as a django-celery-beat entry, so that admins can edit its time.

It runs at 00:30 UTC. Crontabs are kept in UTC on purpose: in a zone with daylight saving a
local-time crontab runs twice or not at all on the change-over nights.
"""

from django.db import migrations

TASK_NAME = "Sixfold: prepare the next days' puzzles"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="0",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "puzzles.prepare_puzzles",
            "crontab": crontab,
            "description": "Makes sure the puzzles of the next days exist and are generated.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("puzzles", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
