"""Rules for user-written text shared by every app: visible content, no direction overrides."""

import unicodedata

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
