"""Uploaded media in the admin: read-only, for moderators to see what was uploaded and by whom.

Media are removed with what they belong to (a tweet's deletion, an avatar's or header's
replacement) or by ``media_cleanup``; the admin never deletes them on its own, which would skip the
stored objects.
"""

from django.contrib import admin
from django.utils.html import format_html

from core.admin import BooleanFilter, IndexedSearchAdmin, ReadOnlyAdmin, short_time, truncated
from media.models import MediaFile
from media.selectors import storage_url


class AttachedFilter(BooleanFilter):
    title = "use"
    parameter_name = "attached"
    field = "attached_at__isnull"
    yes = "Not attached yet"
    no = "Attached to a tweet or a profile"


@admin.register(MediaFile)
class MediaFileAdmin(ReadOnlyAdmin, IndexedSearchAdmin):
    list_display = [
        "id",
        "thumbnail",
        "by",
        "dimensions",
        "kilobytes",
        "short_description",
        "created",
        "attached",
    ]
    list_display_links = ["id", "thumbnail"]
    list_select_related = ["owner"]
    list_filter = [AttachedFilter]
    search_lookups = ("pk", "owner__username__lower")
    search_help_text = "Exact media id or owner username."
    ordering = ["-id"]
    fields = [
        "picture",
        "owner",
        "content_type",
        "dimensions",
        "size",
        "description",
        "created_at",
        "attached_at",
        "file",
        "preview",
    ]
    readonly_fields = fields

    @admin.display(description="preview")
    def thumbnail(self, media):
        return format_html(
            '<img src="{}" alt="{}" style="display:block;max-height:48px;max-width:96px;'
            'overflow:hidden;font-size:smaller">',
            storage_url(media.preview),
            media.description,
        )

    @admin.display(description="picture")
    def picture(self, media):
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" style="max-width:400px"></a>',
            storage_url(media.file),
            storage_url(media.preview),
            media.description,
        )

    @admin.display(description="owner")
    def by(self, media):
        return truncated(media.owner.username, 9)

    @admin.display(description="size")
    def dimensions(self, media):
        return f"{media.width} x {media.height}"

    @admin.display(description="KB")
    def kilobytes(self, media):
        return f"{media.size / 1024:.0f}"

    @admin.display(description="description")
    def short_description(self, media):
        return truncated(media.description, 16)

    @admin.display(description="uploaded (UTC)")
    def created(self, media):
        return short_time(media.created_at)

    @admin.display(description="attached", boolean=True)
    def attached(self, media):
        return media.attached_at is not None
