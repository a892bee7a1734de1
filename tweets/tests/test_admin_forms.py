"""A moderator's change form writes only what the moderator changed on the page
(``core.admin.ChangedFieldsAdmin``): a change made while the page was open stays, and a row
deleted meanwhile is a 404."""

import html
import re

import pytest
from django.test import Client

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.services import user_set_active
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def as_moderator(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


def form_as_shown(client, url: str, **changes) -> dict:
    """What a browser posts from the change page at ``url`` (text inputs, the values the page
    showed in ``initial-…``, ticked boxes, text areas), with ``changes``, saving."""
    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    data = {}
    for tag in re.findall(r"<input[^>]*>", content):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name[1]] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name[1]] = html.unescape(value[1]) if value else ""
    for name, text in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', content, re.S
    ):
        data[name] = html.unescape(text.strip("\n"))
    return {**data, **changes, "_save": "Save"}


def change_url(account) -> str:
    return f"/admin/accounts/user/{account.pk}/change/"


def test_a_form_posted_after_the_account_was_deactivated_keeps_it_deactivated():
    client, account = as_moderator(UserFactory(is_staff=True, is_superuser=True)), UserFactory()
    data = form_as_shown(client, change_url(account), bio="edited by a moderator")
    user_set_active(user=User.objects.get(pk=account.pk), active=False)  # the page is open

    response = client.post(change_url(account), data)

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.bio, account.is_active) == ("edited by a moderator", False)


def test_a_form_whose_account_was_deleted_meanwhile_is_a_404(monkeypatch):
    client, account = as_moderator(UserFactory(is_staff=True, is_superuser=True)), UserFactory()
    data = form_as_shown(client, change_url(account), bio="edited by a moderator")
    real = UserAdmin.save_model

    def deleted_first(self, request, obj, form, change):  # as if by another moderator
        User.objects.filter(pk=obj.pk).delete()
        return real(self, request, obj, form, change)

    monkeypatch.setattr(UserAdmin, "save_model", deleted_first)
    response = client.post(change_url(account), data)

    assert response.status_code == 404


def test_the_change_page_does_not_carry_the_password_hash():
    client, account = as_moderator(UserFactory(is_staff=True, is_superuser=True)), UserFactory()
    page = client.get(change_url(account)).content.decode()
    account.refresh_from_db()
    assert 'name="initial-username"' in page
    assert account.password not in page
