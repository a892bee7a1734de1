"""A tweet's plain text as the HTML Mastodon clients render: paragraphs and line breaks, links,
@mentions of existing accounts and #hashtags linked, everything else escaped. The result goes
through nh3 (the ammonia sanitizer), so only a small set of tags and attributes can ever come out.
"""

import html
import re
from collections.abc import Callable

import nh3
from django.utils.encoding import iri_to_uri

from core.links import fill
from core.memo import kept_within
from core.text import (
    HASH_SIGNS,
    HASHTAG_MAX_LENGTH,
    MENTION_RE,
    URL_RE,
    hashtag_end,
    hashtag_name,
    hashtag_starts,
    in_spans,
    url_spans,
)

TOKEN = re.compile(
    rf"(?P<url>{URL_RE.pattern})"
    rf"|{MENTION_RE.pattern}"
    # Any number sign: ``core.text`` says whether a hashtag starts there, and where it ends.
    rf"|[{HASH_SIGNS}](?P<tag>)"
)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""

ALLOWED_TAGS = {"p", "br", "a", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "class", "rel", "target", "translate"}, "span": {"class"}}
# As Mastodon's: links to other sites are not endorsed and get no opener; a hashtag's link is
# its tag (``rel="tag"``, by which clients tell it from a link); a mention's has none.
EXTERNAL_REL = "nofollow noopener noreferrer"
TAG_REL = "tag"


def _rel_allowed(element: str, attribute: str, value: str) -> str | None:
    return None if attribute == "rel" and value not in (EXTERNAL_REL, TAG_REL) else value


# Made once: building the sanitizer's rules took a third of each call.
SANITIZER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https"},
    link_rel=None,
    attribute_filter=_rel_allowed,
)
# What each process keeps of the statuses and bios it rendered (``status_html``, ``note_html``).
RENDERED_BYTES = 8 * 1024 * 1024


def _link(match: re.Match, mention_url) -> tuple[str, str]:
    """(HTML for a URL or a mention, text left over after it)."""
    if match["url"]:
        url = match["url"]
        stripped = url.rstrip(TRAILING_PUNCTUATION)
        rest = url[len(stripped) :]
        href = html.escape(stripped)
        return f'<a href="{href}" rel="{EXTERNAL_REL}" target="_blank">{href}</a>', rest
    url = mention_url(match["mention"])
    if url is None:
        return html.escape(match[0]), ""
    name = html.escape(match["mention"])
    return (
        f'<span class="h-card"><a href="{html.escape(url)}" class="u-url mention">'
        f"@<span>{name}</span></a></span>",
        "",
    )


def _hashtag(text: str, sign: int, tag_url) -> tuple[str, int] | None:
    """(HTML, where it ends) of the hashtag whose sign is at ``sign``, linked to its page as
    typed, when the parser takes it for one (``core.text``), else None."""
    end = hashtag_end(text, sign + 1)
    typed = text[sign + 1 : end]
    name = hashtag_name(typed) if hashtag_starts(text, sign) else None
    if name is None or len(name) > HASHTAG_MAX_LENGTH or (url := tag_url(typed)) is None:
        return None
    linked = (
        f'<a href="{html.escape(url)}" class="mention hashtag" rel="{TAG_REL}">'
        f"#<span>{html.escape(typed)}</span></a>"
    )
    return linked, end


def _line(text: str, mention_url, tag_url) -> str:
    out, position = [], 0
    links = url_spans(text)  # as the parser sees them: no hashtag or mention inside one
    for match in TOKEN.finditer(text):
        if match.start() < position:  # inside a hashtag linked already (its combining marks)
            continue
        out.append(html.escape(text[position : match.start()]))
        if match["url"] is None and in_spans(match.start(), links):
            out.append(html.escape(match[0]))
            position = match.end()
        elif match["tag"] is None:
            linked, rest = _link(match, mention_url)
            out.append(linked + html.escape(rest))
            position = match.end()
        elif (hashtag := _hashtag(text, match.start(), tag_url)) is not None:
            out.append(hashtag[0])
            position = hashtag[1]
        else:
            out.append(html.escape(match[0]))
            position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


def render_html(
    text: str,
    *,
    mention_url: Callable[[str], str | None] = lambda name: None,
    tag_url: Callable[[str], str | None] = lambda tag: f"/tags/{tag}",
) -> str:
    """Plain text to sanitized HTML; ``mention_url(name)`` gives the profile URL of an existing
    account (None leaves the ``@name`` as text), ``tag_url(tag)`` the hashtag's page (None
    leaves the ``#tag`` as text)."""
    if not text.strip():
        return ""
    paragraphs = [part for part in re.split(r"\n{2,}", text.strip()) if part.strip()]
    rendered = "".join(
        "<p>"
        + "<br>".join(_line(line, mention_url, tag_url) for line in paragraph.split("\n"))
        + "</p>"
        for paragraph in paragraphs
    )
    return SANITIZER.clean(rendered)


@kept_within(RENDERED_BYTES)
def status_html(
    text: str,
    *,
    mentioned: tuple[str, ...],
    profile_url: tuple[str, str],
    tag_url_root: str,
) -> str:
    """``render_html`` of a status: @mentions of the ``mentioned`` usernames (any letter case)
    linked to their profiles (``profile_url``, a ``core.links.Links.template``), hashtags to
    ``tag_url_root`` followed by the tag as typed. What it gives depends on its
    arguments alone, so each process keeps the statuses it rendered last (``RENDERED_BYTES``): a
    page read before renders nothing again."""
    by_name = {username.lower(): username for username in mentioned}

    def mention_url(name: str) -> str | None:
        username = by_name.get(name.lower())
        return fill(profile_url, username) if username else None

    # As ``request.build_absolute_uri`` makes a path absolute: the root is a URI already, and
    # ``iri_to_uri`` encodes character by character.
    def tag_url(tag: str) -> str:
        return tag_url_root + iri_to_uri(tag)

    return render_html(text, mention_url=mention_url, tag_url=tag_url)


@kept_within(RENDERED_BYTES)
def note_html(bio: str, *, tag_url_root: str) -> str:
    """``render_html`` of an account's bio, hashtags linked as in statuses (``tag_url_root``
    followed by the tag), kept per process as ``status_html`` is."""
    return render_html(bio, tag_url=lambda tag: tag_url_root + iri_to_uri(tag))
