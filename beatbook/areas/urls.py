from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("", views.home, name="home"),
    path("<str:level>/<str:code>/", views.area_profile, name="profile"),
    path("<str:level>/<str:code>/map/", views.area_map, name="map"),
    path("<str:level>/<str:code>/lsoas.geojson", views.area_geojson, name="geojson"),
]
