"""Staff pages for running a survey; mounted at /staff/surveys/<slug:slug>/manage/."""

from django.urls import path

from . import operations_views

app_name = "survey_manage"
urlpatterns = [
    path("responses/", operations_views.responses, name="responses"),
    path("responses/<int:pk>/", operations_views.response_detail, name="response"),
    path("enter/", operations_views.enter, name="enter"),
    path("themes/", operations_views.theme_list, name="themes"),
    path("themes/add/", operations_views.theme_add, name="theme_add"),
    path("themes/<slug:theme>/edit/", operations_views.theme_edit, name="theme_edit"),
]
