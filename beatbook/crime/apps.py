from django.apps import AppConfig


class CrimeConfig(AppConfig):
    name = "beatbook.crime"
    label = "crime"
