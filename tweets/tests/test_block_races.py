"""Blocks racing follows on PostgreSQL: whatever the interleaving, no follow survives a block and
every counter equals its rows."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.tests.factories import UserFactory
from core.testing import on_postgresql
from tweets import services
from tweets.models import Block, Follow

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgresql(), reason="row locks need PostgreSQL"),
]


def run_together(*calls):
    """Run the calls in threads released at the same instant; a refused follow is expected."""
    barrier = threading.Barrier(len(calls))
    failures = []

    def run(call):
        try:
            barrier.wait()
            call()
        except PermissionDenied:
            pass
        except Exception as exc:  # anything else fails the test below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_block_while_following_leaves_no_follow_and_counters_equal_rows():
    for _ in range(15):
        blocker, blocked = UserFactory(), UserFactory()
        run_together(
            lambda b=blocker, d=blocked: services.follow_create(follower=d, followee=b),
            lambda b=blocker, d=blocked: services.follow_create(follower=b, followee=d),
            lambda b=blocker, d=blocked: services.block_create(blocker=b, blocked=d),
        )
        assert Block.objects.filter(blocker=blocker, blocked=blocked).exists()
        assert not Follow.objects.filter(follower__in=[blocker, blocked]).exists()
        for account in (blocker, blocked):
            account.refresh_from_db()
            assert (account.followers_count, account.following_count) == (0, 0)


def test_concurrent_blocks_both_ways_do_not_deadlock_and_keep_counters():
    for _ in range(10):
        first, second = UserFactory(), UserFactory()
        services.follow_create(follower=first, followee=second)
        services.follow_create(follower=second, followee=first)
        run_together(
            lambda a=first, b=second: services.block_create(blocker=a, blocked=b),
            lambda a=first, b=second: services.block_create(blocker=b, blocked=a),
        )
        assert Block.objects.filter(blocker__in=[first, second]).count() == 2
        assert not Follow.objects.filter(follower__in=[first, second]).exists()
        for account in (first, second):
            account.refresh_from_db()
            assert (account.followers_count, account.following_count) == (0, 0)
