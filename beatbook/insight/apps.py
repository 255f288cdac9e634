from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "beatbook.insight"
    label = "insight"
    verbose_name = "Insight (external benchmarks)"
