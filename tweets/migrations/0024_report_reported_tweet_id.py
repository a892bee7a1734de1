"""Reports keep the reported tweet's id (``Report.reported_tweet_id``), which moderators search
by, also once the tweet is deleted (its foreign key is then cleared).

Not atomic: the column (nullable: the previous release files reports while this runs) and its
index go in statements of their own, then each report whose tweet still exists gets its id, in
batches of their own (those whose tweet is gone already cannot).
"""

from django.db import migrations, models

from core.ranges import update_in_id_ranges

_BACKFILL = (
    "UPDATE tweets_report SET reported_tweet_id = tweet_id "
    "WHERE tweet_id IS NOT NULL AND reported_tweet_id IS NULL AND id >= %s AND id < %s"
)


def reported_tweet_ids_kept(apps, schema_editor):
    update_in_id_ranges(schema_editor, "tweets_report", _BACKFILL)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tweets", "0023_report_reposted_author"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="reported_tweet_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["reported_tweet_id"], name="report_reported_tweet"),
        ),
        migrations.RunPython(reported_tweet_ids_kept, migrations.RunPython.noop, elidable=True),
    ]
