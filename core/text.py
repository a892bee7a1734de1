"""Rules for user-written text shared by every app: visible content, no direction overrides,
what a hashtag is."""

import re
import unicodedata
from collections.abc import Iterator

# Explicit direction embeddings, overrides and isolates, and the implicit marks: in a name they
# can make "alice" display as someone else's (U+202E turns the rest of the text around).
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Letters and symbols that render as nothing or as a blank.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# Separators, controls, format characters (zero-width space, joiners, BOM), combining marks.
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"}


def is_visible(char: str) -> bool:
    return char not in _BLANK_GLYPHS and unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def has_visible_text(text: str) -> bool:
    """Whether ``text`` shows anything: not only spaces, zero-width or blank characters."""
    return any(is_visible(char) for char in text)


def has_bidi_controls(text: str) -> bool:
    return any(char in BIDI_CONTROLS for char in text)


# --- Links: what the HTML links, and where no hashtag or mention is read ----------------------
URL_RE = re.compile(r"https?://[^\s<>\"']+")


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where the links of ``text`` are, as (start, end): a ``#`` or ``@`` in one (a fragment, a
    query) is part of the link, not a hashtag or a mention, as on Mastodon."""
    return [match.span() for match in URL_RE.finditer(text)]


def in_spans(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


# --- Mentions: the one rule for the parser that stores them and the HTML that links them ---------
# "@name" (a username: 3 to 30 letters, digits and underscores) not inside a word or an e-mail
# address, nor followed by more of a name or a domain.
MENTION_RE = re.compile(r"(?<![\w@/])@(?P<mention>[A-Za-z0-9_]{3,30})(?![\w@])")


def mentions_in(text: str) -> Iterator[tuple[int, int, str]]:
    """The mentions of ``text`` as (where the ``@`` is, where the name ends, the name as typed),
    none inside a link."""
    links = url_spans(text)
    for match in MENTION_RE.finditer(text):
        if not in_spans(match.start(), links):
            yield match.start(), match.end(), match["mention"]


# --- Hashtags: the one rule for the parser that stores them and the HTML that links them ---------
# "#" and the full-width number sign Japanese and Chinese keyboards type.
HASH_SIGNS = "#\uff03"
# The longest hashtag name (normalized).
HASHTAG_MAX_LENGTH = 50
_HASH_SIGN_RE = re.compile(f"[{HASH_SIGNS}]")
# Characters a hashtag may have between its others, never first or last: the middle dots
# (Catalan "l·l", Japanese "ラブ・ライブ") and the zero-width non-joiner Persian writes words
# with, as Mastodon's hashtags; beyond Mastodon, the half-width middle dot (which normalizes to
# the Japanese one) and the zero-width joiner of Sinhala's conjuncts, part of a word in
# Unicode's sense (UTS #18) as the non-joiner is. The joiners show nothing: "#ab" and "#a\u200cb"
# are two tags that look alike (as on Mastodon).
HASHTAG_JOINERS = "\u00b7\u30fb\uff65\u200c\u200d"


def is_hashtag_char(char: str) -> bool:
    """Letters, digits, underscores and combining marks (accents, the vowel signs of Thai and
    Indic scripts, Japanese voicing marks), as Mastodon's hashtags."""
    return char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"


def hashtag_end(text: str, start: int) -> int:
    """Where the hashtag whose name starts at ``start`` ends: a run of hashtag characters, with
    ``HASHTAG_JOINERS`` between them."""
    end = position = start
    while position < len(text):
        if is_hashtag_char(text[position]):
            position += 1
            end = position
        elif text[position] in HASHTAG_JOINERS and end > start:
            position += 1
        else:
            break
    return end


def hashtag_starts(text: str, sign: int) -> bool:
    """Whether the number sign at ``sign`` may start a hashtag: not inside a word, a URL fragment
    ("/#x"), an HTML entity ("&#1") or a run of signs."""
    if sign == 0:
        return True
    before = text[sign - 1]
    return not (is_hashtag_char(before) or before in "/&" + HASH_SIGNS)


def hashtags_in(text: str) -> Iterator[tuple[int, int, str]]:
    """The hashtags of ``text`` as (where the sign is, where the name ends, the name as typed),
    none inside a link; ``hashtag_name`` says which are hashtags (``#2024`` is not)."""
    links = url_spans(text)
    for match in _HASH_SIGN_RE.finditer(text):
        sign = match.start()
        end = hashtag_end(text, sign + 1)
        if end > sign + 1 and hashtag_starts(text, sign) and not in_spans(sign, links):
            yield sign, end, text[sign + 1 : end]


def hashtag_name(typed: str) -> str | None:
    """The name a hashtag is known by (``#Django`` = ``#django``, full-width = half-width,
    composed accents = decomposed ones), or None when it is no hashtag: no letter in it (``#1``),
    or characters that normalize to something else than hashtag characters (``#a½``)."""
    if not any(char.isalpha() for char in typed):
        return None
    name = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", typed).casefold())
    return name if hashtag_end(name, 0) == len(name) else None
