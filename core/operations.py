"""Migration operations for PostgreSQL-only indexes on tables that may already be large.

``CREATE INDEX CONCURRENTLY`` does not block writes while it builds (the migration must set
``atomic = False``). The indexes stay out of the model state, like the project's other
PostgreSQL-only indexes, so that SQLite (development) never tries to create or rebuild them; on
any other database these operations do nothing.
"""

from django.contrib.postgres.operations import AddIndexConcurrently


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """Build ``index`` concurrently on PostgreSQL. An invalid index of the same name, left by an
    interrupted build, is dropped first, so the migration can simply be run again."""

    reverse = False

    def state_forwards(self, app_label, state):
        pass

    def _create(self, schema_editor, model):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s",
                [self.index.name],
            )
            row = cursor.fetchone()
        if row and row[0]:
            schema_editor.remove_index(model, self.index, concurrently=True)
        if not row or row[0]:
            schema_editor.add_index(model, self.index, concurrently=True)

    def _drop(self, schema_editor, model):  # the index may be absent: it is not in the state
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}"
        )

    def _apply(self, app_label, schema_editor, state, create: bool):
        if schema_editor.connection.vendor != "postgresql":
            return
        self._ensure_not_in_transaction(schema_editor)
        model = state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            (self._create if create else self._drop)(schema_editor, model)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._apply(app_label, schema_editor, to_state, create=not self.reverse)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._apply(app_label, schema_editor, to_state, create=self.reverse)

    def describe(self):
        verb = "remove" if self.reverse else "create"
        return f"Concurrently {verb} index {self.index.name} on {self.model_name} (PostgreSQL only)"


class RemoveIndexConcurrentlyOnPostgres(AddIndexConcurrentlyOnPostgres):
    """Drop ``index`` concurrently on PostgreSQL (if it exists); rebuild it when reversed."""

    reverse = True
