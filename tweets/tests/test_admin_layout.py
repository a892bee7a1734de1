"""The moderators' admin pages at 1,280 px, rendered by headless Chromium: every column of the
lists fits without scrolling sideways, long texts are cut on one line with the whole text on hover.

Screenshots go to ``$ADMIN_SCREENSHOT_DIR`` (default: ``minitter-admin-1280`` in the system's
temporary folder), never into the repository. Skipped when Chromium is not installed.
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from core.testing.browser import Browser, chromium_path
from media.tests.factories import MediaFileFactory
from tweets import services
from tweets.tests.factories import TweetFactory

pytestmark = [
    # serialized_rollback: the flush after a live-server test would drop the moderators group
    # (created by a migration) for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed"),
]

SCREENSHOTS = Path(
    os.environ.get("ADMIN_SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "minitter-admin-1280"
)
LONGEST_NAME = "a_moderator_with_a_long_name_x"  # 30 characters, the longest username allowed

PAGES = {
    # page: (path, columns that must be fully visible)
    "tweets": ("/admin/tweets/tweet/", ["by", "short_text", "created", "hidden", "likes"]),
    "reports": (
        "/admin/tweets/report/",
        ["status", "reason", "target", "reported_words", "created"],
    ),
    "moderation-log": (
        "/admin/tweets/moderationaction/",
        ["created", "by", "kind", "short_reason", "about"],
    ),
    "media": ("/admin/media/mediafile/", ["thumbnail", "by", "created", "attached"]),
}


@pytest.fixture
def moderator_session(client):
    moderator = UserFactory(username=LONGEST_NAME, is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderators"))
    author = UserFactory(username="an_author_with_a_long_name_xyz")
    long_text = "세상에서 가장 긴 트윗 " * 12 + "and a very long English sentence as well."
    for _ in range(5):
        TweetFactory(author=author)
    tweet = TweetFactory(author=author, text=long_text[:300])  # the newest: first in the list
    services.report_create(
        reporter=UserFactory(username="a_reporter_with_a_long_name_xy"),
        reason="spam",
        tweet=tweet,
        comment="This is spam, the same link again and again, please look at it " * 3,
    )
    services.tweet_set_hidden(
        tweet=tweet,
        hidden=True,
        moderator=moderator,
        reason="Repeated links to a shop, reported by several people. " * 4,
    )
    MediaFileFactory(owner=author, description="A long picture description " * 10)
    client.force_login(moderator)
    return client.cookies["sessionid"].value, long_text[:300]


@pytest.fixture
def browser():
    running = Browser(width=1280, height=800)
    yield running
    running.close()


def test_admin_lists_fit_1280_pixels(live_server, moderator_session, browser):
    session_id, long_text = moderator_session
    browser.set_cookie(live_server.url, "sessionid", session_id)
    for name, (path, columns) in PAGES.items():
        browser.open(live_server.url + path)
        shot = browser.screenshot(SCREENSHOTS / f"{name}.png")
        assert browser.evaluate("document.title").endswith("| minitter admin"), name
        assert browser.evaluate("document.querySelectorAll('#result_list tbody tr').length"), name
        overflow = browser.evaluate(
            "(() => { const r = document.querySelector('.results');"
            " return r.scrollWidth - r.clientWidth; })()"
        )
        assert overflow <= 0, f"{name}: the list is {overflow}px wider than its box ({shot})"
        for column in columns:
            right = browser.evaluate(
                f"document.querySelector('th.column-{column}').getBoundingClientRect().right"
            )
            assert right <= 1280, f"{name}: column {column} ends at {right}px ({shot})"
    browser.open(live_server.url + "/admin/tweets/tweet/")
    hover = browser.evaluate("document.querySelector('td.field-short_text span').title")
    assert hover == long_text
