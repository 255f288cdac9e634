"""The public "Stay informed" pages, mounted at /stay-informed/. Every address below `signup`
and `sent` carries a signed token made by `links`."""

from django.urls import path

from . import public_views

app_name = "stay_informed"
urlpatterns = [
    path("", public_views.signup, name="signup"),
    path("check-your-messages/", public_views.sent, name="sent"),
    path("confirm/<str:token>/", public_views.confirm, name="confirm"),
    path("preferences/<str:token>/", public_views.manage, name="manage"),
    path("preferences/<str:token>/download/", public_views.download, name="download"),
    path("preferences/<str:token>/erase/", public_views.erase, name="erase"),
    path("unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("l/<str:token>/", public_views.click, name="click"),
    path("o/<str:token>/", public_views.open_pixel, name="open"),
    path("rate/<str:token>/<str:answer>/", public_views.rate, name="rate"),
]
