"""Reads by key whose SQL the ORM builds once: ``CompiledInBulk``.

Building a queryset and compiling it cost the ORM more than PostgreSQL spends running it: a
tweet read with its author, avatar, original and their media took 4.9 ms in process, of which
about 2.5 ms built and compiled the eight-table statement anew each time (and a like reads its
tweet again after every like, since the like changed it). Here the statement is compiled once
per connection and number of keys; each read puts its keys in the parameters, runs the SQL and
makes the instances as the ORM's own iteration does (``from_db``, ``select_related``'s
populators, annotations, the database's converters).

Only a queryset whose SQL depends on nothing but the keys may be compiled (no viewer, no time):
its other parameters are kept as they were at the first read. The keys are primary keys, or
strings matched by another lookup (an account's lower-cased username).
"""

from collections.abc import Callable, Iterable
from itertools import count

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# Reads of more keys than this are built and compiled each time (pages are 20 to 40).
MOST_KEYS = 100
# Stand-ins for the keys while compiling, found again among the parameters (never sent to the
# database): ids no row has, or strings no key is.
_STAND_IN = -(2**62)
_STAND_IN_TEXT = "\x00minitter stand-in "
_numbers = count()


class _Compiled:
    """A statement compiled for one number of keys on one connection, with what it takes to
    make instances of its rows."""

    def __init__(self, queryset: QuerySet, alias: str, key_count: int, lookup: str):
        if lookup == "pk":
            stand_ins = [_STAND_IN - index for index in range(key_count)]
        else:
            stand_ins = [f"{_STAND_IN_TEXT}{index}" for index in range(key_count)]
        filtered = queryset.filter(**{f"{lookup}__in": stand_ins}).order_by()
        compiler = filtered.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        positions: dict[object, list[int]] = {}
        for index, value in enumerate(self.params):
            if lookup == "pk":
                is_stand_in = type(value) is int and value <= _STAND_IN
            else:
                is_stand_in = type(value) is str and value.startswith(_STAND_IN_TEXT)
            if is_stand_in:
                positions.setdefault(value, []).append(index)
        # Each key in one place, or the statement is not one this can fill in.
        self.usable = set(positions) == set(stand_ins) and all(
            len(found) == 1 for found in positions.values()
        )
        self.positions = [positions[value][0] for value in stand_ins] if self.usable else []
        self.compiler = compiler
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.model = klass_info["model"]
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, alias)
        self.annotations = dict(compiler.annotation_col_map or {})
        self.converters = compiler.get_converters(
            [column[0] for column in select[0 : compiler.col_count]]
        )

    def rows(self, alias: str, keys: list, key_of: Callable[[Model], object]) -> dict:
        params = list(self.params)
        for position, key in zip(self.positions, keys, strict=True):
            params[position] = key
        with connections[alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        found = {}
        for row in rows:
            instance = self.model.from_db(alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, instance)
            for name, position in self.annotations.items():
                setattr(instance, name, row[position])
            found[key_of(instance)] = instance
        return found


class CompiledInBulk:
    """``make_queryset().in_bulk(keys)`` for instances of ``model``, the statement compiled once
    per connection and number of keys (at most ``MOST_KEYS``). ``make_queryset`` gives a
    queryset that depends on nothing but the keys; it may select related rows and annotate, not
    prefetch. The keys are integer primary keys, or with ``lookup`` strings it matches and
    passes to the database unchanged (``username__lower``), each instance then keyed by
    ``key_of(instance)``. Keys of another type go through the ORM."""

    def __init__(
        self,
        model: type[Model],
        make_queryset: Callable[[], QuerySet],
        *,
        lookup: str = "pk",
        key_of: Callable[[Model], object] | None = None,
    ):
        if lookup != "pk" and key_of is None:
            raise ValueError("a lookup other than pk needs key_of: how its key is read back")
        self.model = model
        self.make_queryset = make_queryset
        self.lookup = lookup
        self.key_type = int if lookup == "pk" else str
        self.key_of = key_of or (lambda instance: instance.pk)
        self.slot = f"minitter_compiled_in_bulk_{next(_numbers)}"

    def __call__(self, keys: Iterable) -> dict:
        keys = list(dict.fromkeys(keys))
        if any(type(key) is not self.key_type for key in keys) or len(keys) > MOST_KEYS:
            return self._from_the_orm(keys)
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        if self.lookup == "pk":
            # What the ORM does for an integer key out of the column's range: no row has it.
            field_type = self.model._meta.pk.get_internal_type()
            low, high = connection.ops.integer_field_range(field_type)
            keys = [k for k in keys if (low is None or k >= low) and (high is None or k <= high)]
        if not keys:
            return {}
        # Kept with the connection: a compiler converts with its connection, and each thread
        # has its own.
        kept = connection.__dict__.setdefault(self.slot, {})
        compiled = kept.get(len(keys))
        if compiled is None:
            compiled = kept[len(keys)] = _Compiled(
                self.make_queryset(), alias, len(keys), self.lookup
            )
        if not compiled.usable:
            return self._from_the_orm(keys)
        return compiled.rows(alias, keys, self.key_of)

    def _from_the_orm(self, keys: list) -> dict:
        if self.lookup == "pk":
            return self.make_queryset().in_bulk(keys)  # which converts keys, and batches them
        found = self.make_queryset().filter(**{f"{self.lookup}__in": keys})
        return {self.key_of(instance): instance for instance in found}
