"""Admin helpers for tables with millions of rows, used by every app's admin.

- ``LargeTablePaginator``: Django's admin counts every matching row (``COUNT(*)``) on each
  changelist page; this counts at most ``COUNT_LIMIT`` rows, so a page costs the same on a table
  of a thousand or a hundred million rows. Search or filters narrow longer lists down.
- ``ChangedFieldsAdmin`` (the base of ``IndexedSearchAdmin``): a change form writes only the
  fields the moderator changed on the page, not the whole row as it is read when posted.
- ``IndexedSearchAdmin``: the search box matches exact values through indexes only: ids, and
  usernames or emails in any letter case through their ``LOWER()`` indexes. (Django's own
  ``=field`` search compiles to ``UPPER(...)``, which no index serves, and ``icontains`` scans.)
  Filter counts ("Show counts") are off: they count whole tables. Its lists also answer 400 to
  parameters Django would fail on with a 500: a year out of the calendar's range in a date
  filter, and a bulk action's selection that is no id.
- ``truncated`` and ``short_time``: list columns that keep a changelist readable at 1,280 px
  (one line each; the whole text or the exact time on hover).
- ``BooleanFilter``: a yes/no filter whose title and choices are plain words.
"""

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, transaction
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.html import format_html

from core.fields import parse_id

COUNT_LIMIT = 10_000


class LargeTablePaginator(Paginator):
    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk")[:COUNT_LIMIT].count()


class ChangedFieldsAdmin(admin.ModelAdmin):
    """Saves only the fields the moderator changed on the page. Django's admin writes back every
    column of the row as it is read when the page is posted, and tells changes by comparing the
    post with that row: a counter, a password, a suspension or a hide written meanwhile by the
    app or another moderator would be overwritten, or an edit made while the page was open
    undone. Here each field's value as the page showed it is posted too (``initial-…``), a field
    counts as changed only if the moderator changed it, and only those are written. A row
    deleted meanwhile is a 404 (Django's full save would have inserted it again)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if change:
            for field in form.base_fields.values():
                # Not for fields the form does not take (the password hash's summary): they never
                # change, and their value would be in the page.
                field.show_hidden_initial = not field.disabled
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        columns = {field.name for field in obj._meta.concrete_fields}
        changed = [name for name in form.changed_data if name in columns]
        if not changed:
            return None
        try:
            with transaction.atomic():
                obj.save(update_fields=changed)
        except DatabaseError:
            if type(obj)._base_manager.filter(pk=obj.pk).exists():
                raise
            raise Http404("Deleted meanwhile.") from None
        return None


class IndexedSearchAdmin(ChangedFieldsAdmin):
    """A changelist for big tables: bounded counts, and search on indexed exact values.

    ``search_lookups`` lists lookups to try, e.g. ``("pk", "author__username__lower")``; lookups on
    ids are skipped for terms that are not numbers, ``__lower`` ones get the term lower-cased.
    """

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = LargeTablePaginator
    list_per_page = 50
    search_lookups: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        parts = lookup.split("__")
        if ("year" in parts or "iso_year" in parts) and not _is_year(value):
            return False  # Django's admin answers 400 (it would fail building the date range)
        return super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            try:
                for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                    self.model._meta.pk.clean(value, None)  # its type and its column's range
            except ValidationError:
                raise SuspiciousOperation("A bulk action's selection holds no id.") from None
        return super().changelist_view(request, extra_context)

    def get_search_fields(self, request):
        # Django shows the search box when there are search fields; the lookups do the search.
        return self.search_lookups

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term or not self.search_lookups:
            return queryset, False
        # One indexed query per lookup, combined with UNION: an OR across joined tables would
        # make the database scan instead.
        branches = []
        for lookup in self.search_lookups:
            if lookup.endswith("__lower"):
                value = term.lower()
            elif (number := parse_id(term)) is not None:
                value = number
            else:
                continue
            branches.append(self.model._default_manager.filter(**{lookup: value}).values("pk"))
        if not branches:
            return queryset.none(), False
        return queryset.filter(pk__in=branches[0].union(*branches[1:])), False


def _is_year(value) -> bool:
    """Whether ``value`` is a year Python's dates can hold (1 to 9999)."""
    try:
        return 1 <= int(value) <= 9999
    except (TypeError, ValueError):
        return False


def truncated(text: str, width_em: int = 24):
    """``text`` on one line, cut with an ellipsis at ``width_em``; the whole text on hover."""
    return format_html(
        '<span title="{}" style="display:inline-block;max-width:{}em;overflow:hidden;'
        'text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom">{}</span>',
        text,
        width_em,
        text,
    )


def short_time(value):
    """A time as ``2026-11-24 01:33`` (UTC), the exact time on hover; ``-`` for none."""
    if value is None:
        return "-"
    return format_html(
        '<span title="{}" style="white-space:nowrap">{}</span>',
        value.isoformat(),
        value.strftime("%Y-%m-%d %H:%M"),
    )


class BooleanFilter(admin.SimpleListFilter):
    """A filter on a boolean field with plain-word choices. Subclass with ``title``,
    ``parameter_name``, ``field``, ``yes`` and ``no`` (the labels of True and False)."""

    field = ""
    yes = "Yes"
    no = "No"

    def lookups(self, request, model_admin):
        return [("1", self.yes), ("0", self.no)]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(**{self.field: self.value() == "1"})
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows to look at only: no adding, changing or deleting in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceDeletesAdmin(admin.ModelAdmin):
    """Rows people make through the API: not added or changed here, and deleted only through
    ``remove(obj)`` (a service that keeps counters and timelines right), one row at a time."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def remove(self, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.remove(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related(*self.list_select_related):
            self.remove(obj)
