from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Step-up referrals and step-downs"

    def ready(self) -> None:
        from caf import hooks
        from caf.middleware import refusal_subject_register
        from referrals import selectors, services
        from referrals.models import Referral, StepDown

        # A 403 on a referral's or step-down's page is logged against its children (caf.middleware).
        refusal_subject_register("referral_id", selectors.refusal_subject(Referral))
        refusal_subject_register("step_down_id", selectors.refusal_subject(StepDown))
        # What caf asks of referrals without importing it (Settled question 14, caf/hooks.py).
        hooks.referral_draft_from_caf_register(services.safeguarding_referral_start)
        hooks.lead_professional_logged_register(services.step_downs_complete_for)
        hooks.chronology_source_register(selectors.chronology_events)
        hooks.child_referred_register(selectors.child_referred)
        hooks.caf_referrals_register(selectors.caf_referrals)
        from referrals import retention

        hooks.social_care_stage_children_register(retention.social_care_stage_children)
        hooks.social_care_open_children_register(retention.social_care_open_children)
        hooks.child_records_ended_register(retention.child_records_ended)
        hooks.children_recorded_together_register(retention.children_recorded_together)
        hooks.retention_anonymiser_register(retention.retention_anonymise)
        hooks.subject_access_source_register(selectors.subject_access_documents)
        # A draft of a referral's form, likewise, only for someone who may still see the referral.
        from accounts.drafts import record_access_register
        from accounts.models import User

        def may_see_referral(user: User, referral_id: int) -> bool:
            referral = Referral.objects.filter(pk=referral_id).first()
            return referral is not None and selectors.referral_may_see(user, referral)

        record_access_register("referral", may_see_referral)
