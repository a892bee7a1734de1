from django.urls import path

from media import views

urlpatterns = [path("media", views.MediaUploadView.as_view(), name="media-upload")]
