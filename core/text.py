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


# --- Hashtags: the one rule for the parser that stores them and the HTML that links them ---------
# "#" and the full-width number sign Japanese and Chinese keyboards type.
HASH_SIGNS = "#\uff03"
# The longest hashtag name (normalized).
HASHTAG_MAX_LENGTH = 50
_HASH_SIGN_RE = re.compile(f"[{HASH_SIGNS}]")


def is_hashtag_char(char: str) -> bool:
    """Letters, digits, underscores and combining marks (accents, the vowel signs of Thai and
    Indic scripts, Japanese voicing marks), as Mastodon's hashtags."""
    return char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"


def hashtag_end(text: str, start: int) -> int:
    """Where the run of hashtag characters starting at ``start`` ends."""
    end = start
    while end < len(text) and is_hashtag_char(text[end]):
        end += 1
    return end


def hashtag_starts(text: str, sign: int) -> bool:
    """Whether the number sign at ``sign`` may start a hashtag: not inside a word, a URL fragment
    ("/#x"), an HTML entity ("&#1") or a run of signs."""
    if sign == 0:
        return True
    before = text[sign - 1]
    return not (is_hashtag_char(before) or before in "/&" + HASH_SIGNS)


def hashtags_in(text: str) -> Iterator[tuple[int, int, str]]:
    """The hashtags of ``text`` as (where the sign is, where the name ends, the name as typed);
    ``hashtag_name`` says which are hashtags (``#2024`` is not)."""
    for match in _HASH_SIGN_RE.finditer(text):
        sign = match.start()
        end = hashtag_end(text, sign + 1)
        if end > sign + 1 and hashtag_starts(text, sign):
            yield sign, end, text[sign + 1 : end]


def hashtag_name(typed: str) -> str | None:
    """The name a hashtag is known by (``#Django`` = ``#django``, full-width = half-width,
    composed accents = decomposed ones), or None when it is no hashtag: no letter in it (``#1``),
    or characters that normalize to something else than hashtag characters (``#a½``)."""
    if not any(char.isalpha() for char in typed):
        return None
    name = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", typed).casefold())
    return name if all(is_hashtag_char(char) for char in name) else None
