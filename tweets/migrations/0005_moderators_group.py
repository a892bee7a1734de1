"""The ``moderators`` group: just the permissions moderation needs.

They can see accounts, tweets, likes, follows, media and reports; hide, unhide and delete tweets;
suspend and unsuspend accounts; close reports; and read the moderation log. They cannot change
passwords or any other account field, nor grant permissions. Give a moderator ``is_staff`` (to
reach the admin) and this group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATOR_PERMISSIONS = [
    ("accounts", "view_user"),
    ("accounts", "suspend_user"),
    ("tweets", "view_tweet"),
    ("tweets", "hide_tweet"),
    ("tweets", "delete_tweet"),
    ("tweets", "view_like"),
    ("tweets", "view_follow"),
    ("tweets", "view_report"),
    ("tweets", "change_report"),
    ("tweets", "view_moderationaction"),
    ("media", "view_mediafile"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="moderators")
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in MODERATOR_PERMISSIONS
    ]
    group.permissions.set(permissions)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tweets", "0004_moderation"),
        ("accounts", "0004_user_suspension"),
        ("media", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
