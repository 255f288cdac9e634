from django.conf import settings
from django.conf.urls.static import static
from django.urls import URLPattern, URLResolver, include, path

from beatbook.core.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("beatbook.public.urls")),
    path("staff/", include("beatbook.accounts.urls")),
    path("staff/areas/", include("beatbook.areas.urls")),
    path("staff/crime/", include("beatbook.crime.urls")),
    path("staff/immediate-response/", include("beatbook.crime.response_urls")),
    path("staff/activity/", include("beatbook.activity.urls")),
    path("staff/compliance/", include("beatbook.activity.compliance_urls")),
    path("staff/surveys/<slug:slug>/manage/", include("beatbook.surveys.operations_urls")),
    path("staff/surveys/", include("beatbook.surveys.staff_urls")),
    path("staff/messaging/", include("beatbook.messaging.staff_urls")),
    path("your-views/", include("beatbook.surveys.public_urls")),
    path("stay-informed/", include("beatbook.messaging.public_urls")),
    path("messaging/callbacks/", include("beatbook.messaging.callback_urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
# Uploaded photos (message signatures): the web server serves MEDIA_ROOT in production; with
# DEBUG (the demo) Django does. `static()` adds nothing when DEBUG is off.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
