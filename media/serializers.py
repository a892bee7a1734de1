"""Input and output shapes of the media API."""

from rest_framework import serializers

from media.models import MEDIA_DESCRIPTION_MAX_LENGTH, MediaFile
from media.selectors import storage_url


class MediaUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MEDIA_DESCRIPTION_MAX_LENGTH
    )


class MediaSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField()
    type = serializers.CharField(source="kind")
    url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()

    class Meta:
        model = MediaFile
        fields = ["id", "type", "url", "preview_url", "width", "height", "description"]
        read_only_fields = fields

    def get_id(self, media) -> str:
        return str(media.pk)

    def get_url(self, media) -> str:
        return storage_url(media.file, self.context.get("request"))

    def get_preview_url(self, media) -> str:
        return storage_url(media.preview, self.context.get("request"))
