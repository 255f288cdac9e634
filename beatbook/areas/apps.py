from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "beatbook.areas"
    label = "areas"
