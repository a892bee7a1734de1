"""Reports keep when the words they kept were written (``Report.tweet_edited_at``), so that an
edit is "since" the report exactly when it committed after the words were read.

Not atomic: the column goes in first (nullable, so the previous release files reports while this
runs), then each report whose tweet still exists gets the time of the version its words are
(as migration 0020 chose them: the last edit made by the report's time, of the original for a
repost; none when that was the tweet as posted), in batches of their own.
"""

from django.db import migrations, models

from core.ranges import update_in_id_ranges

_BACKFILL = (
    "UPDATE tweets_report SET tweet_edited_at = ("
    "SELECT MAX(e.created_at) FROM tweets_tweet t "
    "JOIN tweets_tweet shown ON shown.id = COALESCE(t.repost_of_id, t.id) "
    "JOIN tweets_tweetedit e ON e.tweet_id = shown.id "
    "WHERE t.id = tweets_report.tweet_id AND e.created_at <= tweets_report.created_at "
    "AND e.created_at > shown.created_at) "
    "WHERE tweet_id IS NOT NULL AND tweet_edited_at IS NULL AND id >= %s AND id < %s"
)


def reported_version_times_kept(apps, schema_editor):
    update_in_id_ranges(schema_editor, "tweets_report", _BACKFILL)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tweets", "0021_tweet_content_warning"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="tweet_edited_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(reported_version_times_kept, migrations.RunPython.noop, elidable=True),
    ]
