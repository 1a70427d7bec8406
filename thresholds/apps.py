from django.apps import AppConfig


class ThresholdsConfig(AppConfig):
    name = "thresholds"
    verbose_name = "Threshold models"
