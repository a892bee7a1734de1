"""Joins the two migrations numbered 0010 (bookmarks, the timeline outbox), which were added
side by side; neither depends on the other."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tweets", "0010_bookmarks"),
        ("tweets", "0010_timeline_work"),
    ]

    operations = []
