from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Step-up referrals and step-downs"
