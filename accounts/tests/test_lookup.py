"""Looking accounts up by username: any letter case, only accounts that may be used, and no
question asked for a name no account can have."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import User
from accounts.selectors import account_find, account_get, accounts_by_ids
from accounts.tests.factories import UserFactory
from core.db import compiled
from core.testing.images import image_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lookup", [account_get, account_find], ids=["get", "find"])
def test_an_account_is_found_by_its_name_in_any_letter_case(lookup):
    account = UserFactory(username="Mixed_Case")
    for name in ("Mixed_Case", "mixed_case", "MIXED_CASE"):
        assert lookup(username=name).pk == account.pk
    assert lookup(username="mixed_cas") is None


@pytest.mark.parametrize("lookup", [account_get, account_find], ids=["get", "find"])
@pytest.mark.parametrize(
    "change",
    [
        lambda user: services.user_set_suspended(user=user, suspended=True),
        lambda user: services.user_set_active(user=user, active=False),
    ],
    ids=["suspended", "deactivated"],
)
def test_an_account_that_may_not_be_used_is_not_found(lookup, change):
    account = UserFactory()
    change(account)
    assert lookup(username=account.username) is None


@pytest.mark.parametrize("lookup", [account_get, account_find], ids=["get", "find"])
@pytest.mark.parametrize("name", ["a b", "x" * 5000, "\u212aate", ""], ids=repr)
def test_a_name_no_account_can_have_asks_nothing(lookup, name):
    UserFactory(username="kate")
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert lookup(username=name) is None
    assert not queries.captured_queries


def test_accounts_by_id_are_the_active_ones_with_their_avatars():
    """Compiled once (``core.db.compiled``): the same accounts, avatars joined, as the ORM gives,
    whatever the keys."""
    kept, suspended, deactivated = UserFactory.create_batch(3)
    avatar = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
    services.user_profile_change(user=kept, images={"avatar": avatar})
    services.user_set_suspended(user=suspended, suspended=True)
    services.user_set_active(user=deactivated, active=False)
    keys = [kept.pk, suspended.pk, deactivated.pk, 10**15, 2**64, kept.pk]
    found = accounts_by_ids(ids=keys)
    assert list(found) == [kept.pk]
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert found[kept.pk].avatar.pk == kept.avatar_id
    assert not queries.captured_queries
    assert accounts_by_ids(ids=[]) == {}
    assert accounts_by_ids(ids=[None]) == {}


def test_an_account_found_by_name_is_read_by_a_statement_compiled_once(monkeypatch):
    """``account_find`` reads through ``core.db.compiled`` by the lower-cased name: the same
    account as the ORM gives, and a second lookup compiles nothing and asks one question."""
    first, second = UserFactory(username="First_One"), UserFactory(username="second")
    found = account_find(username="FIRST_one")
    expected = User.objects.get(pk=first.pk)
    assert {k: v for k, v in vars(found).items() if k != "_state"} == {
        k: v for k, v in vars(expected).items() if k != "_state"
    }
    made = []
    monkeypatch.setattr(compiled._Compiled, "__init__", lambda *args: made.append(args))
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert account_find(username="Second").pk == second.pk
        assert account_find(username="nobody") is None
    assert made == []
    assert len(queries.captured_queries) == 2


def test_names_that_are_not_strings_are_read_by_the_orm():
    account = UserFactory(username="named")
    by_name = compiled.CompiledInBulk(
        User, User.objects.active, lookup="username__lower", key_of=lambda u: u.username.lower()
    )
    assert list(by_name(["named", "named", "missing"])) == ["named"]
    numbered = UserFactory(username="12345")
    assert by_name([12345]) == {"12345": numbered}  # not a string: the ORM reads it as one
    assert by_name([]) == {}
    assert by_name(["named"])["named"].pk == account.pk


def test_a_lookup_by_name_needs_to_say_how_its_key_is_read_back():
    with pytest.raises(ValueError):
        compiled.CompiledInBulk(User, User.objects.active, lookup="username__lower")


@pytest.mark.parametrize(
    ("lookup", "make_queryset"),
    [
        # Another parameter that looks like a stand-in of the other kind of key.
        ("username__lower", lambda: User.objects.filter(pk__gt=-(2**63))),
        ("pk", lambda: User.objects.exclude(first_name="\x00minitter stand-in 9")),
    ],
    ids=["name", "pk"],
)
def test_parameters_that_look_like_the_other_kind_of_stand_in_are_left_alone(lookup, make_queryset):
    """Only the stand-ins of the lookup's own kind of key are looked for (a string with NUL is
    never sent to PostgreSQL, which refuses it: the compiled statement is checked alone)."""
    for count in (1, 2):
        statement = compiled._Compiled(make_queryset(), "default", count, lookup)
        assert statement.usable
        assert len(statement.positions) == count
    account = UserFactory(username="named")
    by_name = compiled.CompiledInBulk(
        User, make_queryset, lookup="username__lower", key_of=lambda u: u.username.lower()
    )
    if lookup != "pk":
        assert [found.pk for found in by_name(["named"]).values()] == [account.pk]
