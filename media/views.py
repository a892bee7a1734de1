"""HTTP endpoint for uploads."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import idempotency
from core.parsers import MultiPartParser
from media import services
from media.serializers import MediaSerializer, MediaUploadInputSerializer


class MediaUploadView(APIView):
    parser_classes = [MultiPartParser]
    serializer_class = MediaUploadInputSerializer  # the browsable API's upload form
    write_throttle_scope = "upload"  # re-encoding images is CPU-heavy: stricter limits

    @extend_schema(
        request={"multipart/form-data": MediaUploadInputSerializer},
        responses={201: MediaSerializer},
        tags=["media"],
    )
    @idempotency.idempotent
    def post(self, request):
        """Upload an image (JPEG, PNG, GIF or WebP) to attach to a tweet with `media_ids`.

        The image is re-encoded without metadata; uploads not attached within a day are removed.
        """
        data = MediaUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        media = services.media_create(
            owner=request.user,
            upload=data.validated_data["file"],
            description=data.validated_data["description"],
        )
        return Response(
            MediaSerializer(media, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
