from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "beatbook.core"
    label = "core"
