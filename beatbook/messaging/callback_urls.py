"""Machine-to-machine callbacks from messaging providers (mounted at /messaging/callbacks/)."""

from django.urls import path

from . import notify_callback

app_name = "messaging_callbacks"
urlpatterns = [
    path("notify/", notify_callback.notify_status, name="notify"),
]
