"""The recovery job as a django-celery-beat entry: every 5 minutes, editable in the admin.

It takes over puzzles whose run stopped (lease ran out) and queues due puzzles nothing is
working on, so a killed worker costs about one lease plus a few minutes, not a night.
"""

from django.db import migrations

TASK_NAME = "Sixfold: recover stopped or missing puzzles"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "puzzles.recover_puzzles",
            "interval": every,
            "description": "Takes over generations whose worker died and queues due puzzles.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("puzzles", "0003_image_legibility"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
