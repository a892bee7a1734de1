"""Status content as HTML: ``status_html`` (kept per process) gives what ``render_html`` gives
with the links a request makes (profiles reversed, tags made absolute by the request)."""

import pytest
from django.test import RequestFactory

from core.content import SANITIZER, render_html, status_html
from core.links import Links
from core.text import hashtag_name
from mastodon_api.entities import tag_url
from tweets.services.entities import entities_parse
from tweets.tests.test_mentions_and_tags import PERSIAN

TEXTS = [
    "plain words",
    "hi @Alice and @alice_2, not @nobody; #Django #한국어 #日本語_タグ https://x.example/a?b=1&c=<d>.",
    "line one\nline two @ALICE\n\n\nsecond paragraph #tag1 #tag1",
    "<script>alert(1)</script> <a href='javascript:x'>@alice</a> email@alice.example #",
    "  ",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("host", ["testserver", "minitter.example:8443"])
def test_status_html_is_render_html_with_the_requests_links(text, host, settings):
    settings.ALLOWED_HOSTS = ["testserver", "minitter.example"]
    request = RequestFactory().get("/", HTTP_HOST=host, secure=host != "testserver")
    links = Links(request)
    mentioned = ("alice", "Alice_2")
    by_name = {name.lower(): name for name in mentioned}

    def mention_url(name):
        username = by_name.get(name.lower())
        return links.url("profile-detail", username) if username else None

    expected = render_html(text, mention_url=mention_url, tag_url=lambda tag: tag_url(links, tag))
    rendered = status_html(
        text,
        mentioned=mentioned,
        profile_url=links.template("profile-detail"),
        tag_url_root=links.prefix("web-tag"),
    )
    assert rendered == expected
    assert (
        status_html(
            text,
            mentioned=mentioned,
            profile_url=links.template("profile-detail"),
            tag_url_root=links.prefix("web-tag"),
        )
        is rendered
    )  # kept


def test_hashtags_are_linked_where_the_parser_finds_them_and_nowhere_else():
    html = render_html(
        "#2024 #_ #cafe\u0301 \uff03seoul #हिंदी a#b &#1 #ทำ", tag_url=lambda tag: f"/tags/{tag}"
    )
    linked = [part.split('"')[0] for part in html.split('href="')[1:]]
    assert linked == ["/tags/cafe\u0301", "/tags/seoul", "/tags/हिंदी", "/tags/ทำ"]
    assert "#2024 #_ " in html and "a#b &amp;#1" in html


def test_links_carry_mastodons_rel_a_hashtag_tag_a_site_nofollow_a_mention_none():
    html = render_html(
        "#seoul https://x.example/a @alice",
        mention_url=lambda name: "/@alice",
        tag_url=lambda tag: f"/tags/{tag}",
    )
    assert html == (
        '<p><a href="/tags/seoul" class="mention hashtag" rel="tag">#<span>seoul</span></a> '
        '<a href="https://x.example/a" rel="nofollow noopener noreferrer" target="_blank">'
        "https://x.example/a</a> "
        '<span class="h-card"><a href="/@alice" class="u-url mention">@<span>alice</span></a>'
        "</span></p>"
    )


def test_the_sanitizer_keeps_no_other_rel():
    assert SANITIZER.clean('<a href="https://x.example" rel="me opener">x</a>') == (
        '<a href="https://x.example">x</a>'
    )


@pytest.mark.parametrize(
    "text",
    [
        f"#{PERSIAN} #ශ්\u200dරී #l·l #ラブ・ライブ #ﾗﾌﾞ･ﾗｲﾌﾞ #seoul· #·busan",
        "https://x.example/wiki/Foo_(bar)#History #real https://x.example/?q=#frag",
        "#taghttps://x.example/#frag @alice https://x.example/?u=@alice",
        "@xhttps://a.example/?q=#c @https://a.example/?q=#d",
    ],
)
def test_the_html_links_the_hashtags_the_parser_stores_and_no_other(text):
    stored = [
        tag["name"] for tag in entities_parse(text, accounts=lambda names: {}).json.get("tags", [])
    ]
    html = render_html(text, tag_url=lambda tag: f"/tags/{tag}")
    linked = [part.split('"')[0].removeprefix("/tags/") for part in html.split('href="/tags/')[1:]]
    assert [hashtag_name(typed) for typed in linked] == stored
