from django.urls import include, path

from beatbook.core.api import api

urlpatterns = [
    path("", include("beatbook.public.urls")),
    path("staff/", include("beatbook.accounts.urls")),
    path("staff/areas/", include("beatbook.areas.urls")),
    path("staff/crime/", include("beatbook.crime.urls")),
    path("staff/immediate-response/", include("beatbook.crime.response_urls")),
    path("staff/activity/", include("beatbook.activity.urls")),
    path("staff/compliance/", include("beatbook.activity.compliance_urls")),
    path("your-views/", include("beatbook.surveys.public_urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
