from django.urls import path

from . import views

app_name = "crime"
urlpatterns = [
    path("<str:level>/<str:code>/", views.profile, name="profile"),
    path("<str:level>/<str:code>/points.geojson", views.points, name="points"),
]
