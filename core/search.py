"""Text search for Korean, Japanese, Chinese and alphabetic text, inside the database.

One tokenizer serves both sides. Text is normalized (NFKC, case-folded) and cut into runs of
letters and digits. A run in an alphabetic script is one token, so words match as words
(``cat`` does not match ``concatenate``). A run of CJK characters (Hangul, kana, Han) becomes
overlapping character bigrams, the technique of Lucene's CJK analyzer and pg_bigm: ``서울에서``
gives ``서울 울에 에서`` and, at its last character, the single ``서``. Every character of a CJK run
takes one position and every other word one, so a query that turns into the same bigrams at the
same distances finds a Korean word inside any inflected form (``서울`` in ``서울에서``) and a
Japanese or Chinese substring anywhere in a run, and a quoted phrase only in that order.

On PostgreSQL a document is a ``tsvector`` written as a literal (no text-search configuration
re-parses it) and a query a ``tsquery`` literal, matched with ``@@`` through a GIN index. Elsewhere
(SQLite, for development) the same literal is stored as text and every query token must occur in
it: words and bigrams match the same way, phrase order is not checked.
"""

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, Lookup, OuterRef, Q, QuerySet

MAX_QUERY_LENGTH = 200
# Tokens one query may hold, each a condition of the query (SQLite nests about 500 at most): as
# many as a query of MAX_QUERY_LENGTH characters makes, unless normalization lengthened it.
MAX_QUERY_TOKENS = 200
MAX_TOKEN_LENGTH = 100  # longer words are cut: PostgreSQL refuses lexemes over 2,047 bytes
MAX_POSITION = 16_383  # PostgreSQL's largest tsvector position
BACKFILL_BATCH = 5_000

# Hangul (syllables, jamo), kana, Han ideographs, and the ideographic marks 々〆〇.
_CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
# A CJK run, or a run of other letters and digits (underscores and everything else separate).
_RUN = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")


@dataclass(frozen=True)
class Token:
    text: str
    position: int  # 0-based
    prefix: bool = False  # matches every token that starts with ``text``


def normalize(text: str) -> str:
    """NFKC and case folding: full-width and half-width forms, ligatures and letter case fold
    to one spelling."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _tokens(text: str, *, query: bool, start: int = 0) -> list[Token]:
    """Tokens of ``text`` from position ``start``. A document keeps every character of a CJK run
    (the last one as a single-character token); a query keeps only the bigrams, so that it
    matches inside longer runs, and turns a lone CJK character into a prefix of any bigram."""
    tokens, position = [], start
    for match in _RUN.finditer(normalize(text)):
        cjk, word = match.groups()
        if word is not None:
            tokens.append(Token(word[:MAX_TOKEN_LENGTH], position))
            position += 1
            continue
        for index in range(len(cjk)):
            pair = cjk[index : index + 2]
            if len(pair) == 2 or not query:
                tokens.append(Token(pair, position + index))
            elif len(cjk) == 1:
                tokens.append(Token(pair, position + index, prefix=True))
        position += len(cjk)
    return tokens


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def search_document(text: str) -> str:
    """The search document of ``text``: a ``tsvector`` literal (``'서울':1 '울에':2 …``)."""
    positions: dict[str, list[int]] = {}
    for token in _tokens(text, query=False):
        positions.setdefault(token.text, []).append(min(token.position + 1, MAX_POSITION))
    return " ".join(
        f"{_quote(word)}:{','.join(map(str, numbers))}" for word, numbers in positions.items()
    )


def _terms(text: str) -> list[str]:
    """Quoted phrases and bare words; an unclosed quote runs to the end."""
    terms = []
    for index, part in enumerate(text.split('"')):
        terms += [part] if index % 2 else part.split()
    return terms


def search_text_validate(text: str) -> None:
    """Refuse (``ValidationError``) a search of more than ``MAX_QUERY_TOKENS`` words and
    character pairs, each a condition of the query (normalization can lengthen text: ``㌖`` is
    six characters). A field validator of the search parameters, and checked again by every
    parse, so that no caller can send the database a query it cannot run. The project's API
    also limits the length (``MAX_QUERY_LENGTH``); the Mastodon surface takes pasted links of
    any length."""
    if sum(len(_tokens(term, query=True)) for term in _terms(text)) > MAX_QUERY_TOKENS:
        raise ValidationError(
            f"A search has at most {MAX_QUERY_TOKENS} words (in Korean, Japanese or Chinese, "
            "about one per character).",
            code="max_length",
        )


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: each term is a chain of tokens at fixed distances; all terms must
    match. Terms without any letter or digit (punctuation, emoji) are dropped, so a query of
    nothing else can match nothing."""

    terms: tuple[tuple[Token, ...], ...]

    @classmethod
    def parse(cls, text: str, *, prefix_last_word: bool = False) -> "SearchQuery":
        """``prefix_last_word``: the last token of the query also matches longer words that
        start with it (for search as you type). Raises ``ValidationError`` for a search too
        long to run (``search_text_validate``)."""
        search_text_validate(text)
        terms = [tuple(_tokens(term, query=True)) for term in _terms(text)]
        terms = [term for term in terms if term]
        if prefix_last_word and terms:
            *head, last = terms[-1]
            if not last.prefix:
                terms[-1] = (*head, Token(last.text, last.position, prefix=True))
        return cls(tuple(terms))

    @property
    def matches_nothing(self) -> bool:
        return not self.terms

    def tsquery(self) -> str:
        """The query as a ``tsquery`` literal: ``'서울' & ('고양' <-> '양이')``."""
        chains = []
        for term in self.terms:
            parts = [_quote(term[0].text) + (":*" if term[0].prefix else "")]
            for previous, token in itertools.pairwise(term):
                distance = token.position - previous.position
                operator = "<->" if distance == 1 else f"<{distance}>"
                parts.append(f"{operator} {_quote(token.text)}{':*' if token.prefix else ''}")
            chains.append("(" + " ".join(parts) + ")")
        return " & ".join(chains)

    def q(self, field: str, *, vendor: str) -> Q:
        """A filter on a ``SearchDocumentField`` named ``field``. Call only when something can
        match (``matches_nothing`` is false)."""
        if vendor == "postgresql":
            return Q(**{f"{field}__matches": self.tsquery()})
        condition = Q()
        for term in self.terms:
            for token in term:
                needle = _quote(token.text)[:-1] if token.prefix else _quote(token.text) + ":"
                condition &= Q(**{f"{field}__contains": needle})
        return condition


class SearchDocumentField(models.TextField):
    """A search document (see ``search_document``): ``tsvector`` on PostgreSQL, text elsewhere."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_placeholder(self, value, compiler, connection):
        return "%s::tsvector" if connection.vendor == "postgresql" else "%s"


@SearchDocumentField.register_lookup
class Matches(Lookup):
    """``document__matches=<tsquery literal>``: ``document @@ '…'::tsquery`` (PostgreSQL)."""

    lookup_name = "matches"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ ({rhs})::tsquery", [*lhs_params, *rhs_params]


def searched_words(*texts: str) -> str:
    """The words one search document holds: these texts (a content warning and a text, say),
    those not empty, one per line."""
    return "\n".join(text for text in texts if text)


def documents_backfill(
    *,
    sources: QuerySet,
    text_fields: Sequence[str],
    documents: QuerySet,
    everything: bool = False,
):
    """Write the search documents of ``sources`` rows that lack one (with ``everything``, rewrite
    all) from their ``text_fields`` (``searched_words``), in batches of ``BACKFILL_BATCH`` in id
    order, each its own transaction. The document model's primary key is a one-to-one link to
    the source. Works on live models and on a migration's historical ones; yields (done, total)
    after each batch."""
    key = documents.model._meta.pk.attname
    todo = sources
    if not everything:
        todo = sources.exclude(Exists(documents.filter(**{key: OuterRef("pk")})))
    total, done, last = todo.count(), 0, None
    while True:
        batch = todo.order_by("pk") if last is None else todo.filter(pk__gt=last).order_by("pk")
        rows = [
            (pk, searched_words(*texts))
            for pk, *texts in batch.values_list("pk", *text_fields)[:BACKFILL_BATCH]
        ]
        if not rows:
            return
        with transaction.atomic(using=documents.db):
            if everything:
                documents.filter(**{f"{key}__in": [pk for pk, _ in rows]}).delete()
            documents.bulk_create(
                [
                    documents.model(**{key: pk, "document": search_document(text)})
                    for pk, text in rows
                ],
                ignore_conflicts=True,
            )
        done, last = done + len(rows), rows[-1][0]
        yield done, total
