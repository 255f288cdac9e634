"""The staff messaging pages, mounted at /staff/messaging/."""

from django.urls import path

from . import staff_views as views

app_name = "messaging"
urlpatterns = [
    path("", views.message_list, name="list"),
    path("new/", views.message_compose, name="compose"),
    path("audience/", views.message_audience, name="audience"),
    path("export/", views.message_export, name="export"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("<int:pk>/edit/", views.message_edit, name="edit"),
    path("<int:pk>/send/", views.message_send, name="send"),
    path("<int:pk>/approve/", views.message_approve, name="approve"),
    path("<int:pk>/return/", views.message_return, name="return"),
    path("<int:pk>/cancel/", views.message_cancel, name="cancel"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("profile/", views.sender_profile, name="profile"),
    path("settings/", views.messaging_settings, name="settings"),
    path("subscribers/", views.subscribers, name="subscribers"),
    path("subscribers/reach.geojson", views.subscribers_geojson, name="reach_geojson"),
    path("subscribers/people/", views.subscriber_people, name="subscriber_people"),
    path("subscribers/people/<int:pk>/", views.subscriber_detail, name="subscriber_detail"),
    path("subscribers/people/<int:pk>/erase/", views.subscriber_erase, name="subscriber_erase"),
]
