"""The GIN index for full-text search on tweets, created on PostgreSQL only."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tweets.search import text_search_index

    schema_editor.add_index(apps.get_model("tweets", "Tweet"), text_search_index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tweets.search import text_search_index

    schema_editor.remove_index(apps.get_model("tweets", "Tweet"), text_search_index())


class Migration(migrations.Migration):
    dependencies = [("tweets", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
