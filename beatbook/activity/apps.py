from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "beatbook.activity"
    label = "activity"
