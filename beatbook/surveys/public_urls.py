from django.urls import path

from . import public_views

app_name = "your_views"
urlpatterns = [
    # Before the survey pattern, so no survey's short name can hide this page.
    path("about/", public_views.about, name="about"),
    path("<slug:slug>/", public_views.survey_form, name="form"),
    path("<slug:slug>/thanks/", public_views.thanks, name="thanks"),
]
