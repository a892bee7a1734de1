"""Search documents for tweets (CJK bigrams, see core/search.py) and their GIN index.

Not atomic: existing tweets get their documents in batches of their own, then the index is built
and the first search's index dropped without blocking writes (PostgreSQL); bench/README.md says
how long this takes on a large table. Tweets posted by the previous version while this runs are
picked up by ``manage.py search_reindex``.
"""

import django.db.models.deletion
from django.db import migrations, models

import core.search
from core.operations import AddIndexConcurrentlyOnPostgres, RemoveIndexConcurrentlyOnPostgres
from tweets.search import document_index, documents_backfill, text_search_index


def backfill(apps, schema_editor):
    tweets = apps.get_model("tweets", "Tweet").objects.using(schema_editor.connection.alias)
    documents = apps.get_model("tweets", "TweetSearchDocument").objects.using(
        schema_editor.connection.alias
    )
    for _ in documents_backfill(tweets=tweets, documents=documents):
        pass


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tweets", "0006_timeline_entry_without_fk_constraints")]

    operations = [
        migrations.CreateModel(
            name="TweetSearchDocument",
            fields=[
                (
                    "tweet",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="tweets.tweet",
                    ),
                ),
                ("document", core.search.SearchDocumentField()),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        AddIndexConcurrentlyOnPostgres(model_name="tweetsearchdocument", index=document_index()),
        RemoveIndexConcurrentlyOnPostgres(model_name="tweet", index=text_search_index()),
    ]
