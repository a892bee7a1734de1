"""Reports keep the reported tweet's author and words (``Report.tweet_author``, ``tweet_text``).

Not atomic: the columns (the text with a database default, so that the previous release can
still file reports while this runs) and the index go in statements of their own, then the open
and closed reports whose tweet still exists get its author and the words it said when reported
(the version of its history then, else its text), in batches of their own.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.ranges import update_in_id_ranges

# The version a tweet showed at the report's time: its last edit made by then, else its text.
_WORDS_AT_REPORT = (
    "COALESCE((SELECT e.text FROM tweets_tweetedit e WHERE e.tweet_id = {tweet} "
    "AND e.created_at <= tweets_report.created_at ORDER BY e.id DESC LIMIT 1), {text})"
)
_BACKFILL = (
    "UPDATE tweets_report SET "
    "tweet_author_id = (SELECT t.author_id FROM tweets_tweet t WHERE t.id = tweets_report.tweet_id), "
    "tweet_text = (SELECT CASE WHEN t.repost_of_id IS NULL THEN "
    + _WORDS_AT_REPORT.format(tweet="t.id", text="t.text")
    + " ELSE 'repost of ' || CAST(o.id AS TEXT) || ' by @' || "
    "(SELECT u.username FROM accounts_user u WHERE u.id = o.author_id) || ': ' || "
    + _WORDS_AT_REPORT.format(tweet="o.id", text="o.text")
    + " END FROM tweets_tweet t LEFT JOIN tweets_tweet o ON o.id = t.repost_of_id "
    "WHERE t.id = tweets_report.tweet_id) "
    "WHERE tweet_id IS NOT NULL AND tweet_author_id IS NULL AND id >= %s AND id < %s"
)


def reported_words_kept(apps, schema_editor):
    update_in_id_ranges(schema_editor, "tweets_report", _BACKFILL)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tweets", "0019_tweet_media_removed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="tweet_author",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="tweet_text",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["tweet_author"], name="report_tweet_author"),
        ),
        migrations.RunPython(reported_words_kept, migrations.RunPython.noop, elidable=True),
    ]
