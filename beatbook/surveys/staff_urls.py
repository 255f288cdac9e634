"""Staff results pages of "Your Views", mounted at /staff/surveys/."""

from django.urls import path, re_path

from . import staff_views

app_name = "surveys"
urlpatterns = [
    path("", staff_views.survey_list, name="list"),
    path("<slug:slug>/", staff_views.dashboard, name="dashboard"),
    path("<slug:slug>/map/", staff_views.survey_map, name="map"),
    path("<slug:slug>/map/neighbourhoods.geojson", staff_views.map_geojson, name="map_geojson"),
    path("<slug:slug>/representation/", staff_views.representation, name="representation"),
    path("<slug:slug>/concerns/", staff_views.concerns, name="concerns"),
    re_path(r"^(?P<slug>[-a-zA-Z0-9_]+)/scores\.(?P<fmt>csv|xlsx)$", staff_views.download, name="download"),
]
