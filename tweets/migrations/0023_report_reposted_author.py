"""Reports of reposts keep the reposted tweet's author (``Report.reposted_author``): the words
they kept are that account's, and go with it when it is deleted, also once the repost is gone.

Not atomic: the column (nullable: the previous release files reports while this runs) and its
index go in statements of their own, then each report of a repost that still exists gets the
author of the tweet it reposted, in batches of their own.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.ranges import update_in_id_ranges

_BACKFILL = (
    "UPDATE tweets_report SET reposted_author_id = ("
    "SELECT o.author_id FROM tweets_tweet t JOIN tweets_tweet o ON o.id = t.repost_of_id "
    "WHERE t.id = tweets_report.tweet_id) "
    "WHERE tweet_id IN (SELECT id FROM tweets_tweet WHERE repost_of_id IS NOT NULL) "
    "AND reposted_author_id IS NULL AND id >= %s AND id < %s"
)


def reposted_authors_kept(apps, schema_editor):
    update_in_id_ranges(schema_editor, "tweets_report", _BACKFILL)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tweets", "0022_report_tweet_edited_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="reposted_author",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["reposted_author"], name="report_reposted_author"),
        ),
        migrations.RunPython(reposted_authors_kept, migrations.RunPython.noop, elidable=True),
    ]
