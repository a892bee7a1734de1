"""Account search through indexes: display names as search documents (CJK bigrams, see
core/search.py) with a GIN index, and a pattern index for username prefixes.

Not atomic: existing accounts get their documents in batches, then both indexes are built without
blocking writes (PostgreSQL only; SQLite needs neither).
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations, models
from django.db.models.functions import Lower

import core.search
from core.operations import AddIndexConcurrentlyOnPostgres
from core.search import documents_backfill

# LIKE 'prefix%' can use a B-tree only with pattern operators (or the C collation).
USERNAME_PREFIX_INDEX = models.Index(
    OpClass(Lower("username"), name="text_pattern_ops"), name="accounts_user_username_prefix"
)
DISPLAY_NAME_INDEX = GinIndex(fields=["document"], name="account_search_document")


def backfill(apps, schema_editor):
    alias = schema_editor.connection.alias
    for _ in documents_backfill(
        sources=apps.get_model("accounts", "User").objects.using(alias).exclude(display_name=""),
        text_fields=["display_name"],
        documents=apps.get_model("accounts", "AccountSearchDocument").objects.using(alias),
    ):
        pass


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0004_user_suspension")]

    operations = [
        migrations.CreateModel(
            name="AccountSearchDocument",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("document", core.search.SearchDocumentField()),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        AddIndexConcurrentlyOnPostgres(model_name="user", index=USERNAME_PREFIX_INDEX),
        AddIndexConcurrentlyOnPostgres(
            model_name="accountsearchdocument", index=DISPLAY_NAME_INDEX
        ),
    ]
