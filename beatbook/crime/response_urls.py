from django.urls import path

from . import response_views

app_name = "immediate_response"
urlpatterns = [
    path("", response_views.response_list, name="list"),
    path("flags/new/", response_views.flag_create, name="flag_create"),
    path("flags/<int:pk>/close/", response_views.flag_close, name="flag_close"),
]
