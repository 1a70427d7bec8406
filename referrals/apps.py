from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Step-up referrals and step-downs"

    def ready(self) -> None:
        from caf.middleware import refusal_subject_register
        from referrals.models import Referral, StepDown
        from referrals.selectors import refusal_subject

        # A 403 on a referral's or step-down's page is logged against its children (caf.middleware).
        refusal_subject_register("referral_id", refusal_subject(Referral))
        refusal_subject_register("step_down_id", refusal_subject(StepDown))
