"""Query-string filters for the public tweet search (django-filter)."""

import django_filters
from rest_framework.exceptions import ValidationError

from accounts.selectors import account_get
from core.search import MAX_QUERY_LENGTH, search_text_validate
from tweets import selectors


class TweetFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_noop",
        max_length=MAX_QUERY_LENGTH,
        validators=[search_text_validate],
        help_text=(
            "Words to find, all of them: Latin words as whole words in any case, Korean, Japanese "
            'and Chinese also inside longer words (2+ characters); "a quoted phrase" in order. '
            "Only punctuation or emoji: no results."
        ),
    )
    author = django_filters.CharFilter(
        method="filter_noop", max_length=30, help_text="Only tweets by this username."
    )
    since = django_filters.IsoDateTimeFilter(
        method="filter_noop", help_text="Only tweets created at or after this ISO 8601 time."
    )
    until = django_filters.IsoDateTimeFilter(
        method="filter_noop", help_text="Only tweets created before this ISO 8601 time."
    )

    def filter_noop(self, queryset, name, value):
        # Filters are combined in filter_queryset, through the one selector that knows the rules.
        return queryset

    def filter_queryset(self, queryset):
        values = self.form.cleaned_data
        author = None
        if values.get("author"):
            author = account_get(username=values["author"], kept=True)
            if author is None:
                raise ValidationError({"author": ["No account with that username."]})
        return selectors.tweet_search(
            viewer=self.request.user,
            text=(values.get("search") or "").strip(),
            author=author,
            since=values.get("since"),
            until=values.get("until"),
        )
