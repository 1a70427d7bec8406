"""What a person must be told: one row per (recipient, kind, subject), sent by accounts.notifications."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models.users import User


class Notification(models.Model):
    """Something a person must be told, by e-mail and in their notifications list.

    Exactly once: a notification is recorded before it is sent, unique per (recipient, kind,
    subject), so a job that runs twice records nothing new; the worker claims unsent rows with
    SKIP LOCKED under its own token, renews its claim on each row just before sending it, and marks
    each sent after the mail server accepts it (README: the one window).
    """

    class Kind(models.TextChoices):
        REVIEW_DUE = "review_due", "Review coming up"
        REVIEW_TODAY = "review_today", "Review today"
        REVIEW_OVERDUE = "review_overdue", "Review overdue"
        REVIEW_ESCALATED = "review_escalated", "Overdue review escalated"
        ACTION_DUE = "action_due", "Action due"
        NO_LEAD_PROFESSIONAL = "no_lead_professional", "CAF without a lead professional"
        REFERRAL_IMMEDIATE = "referral_immediate", "Referral: immediate risk"
        REFERRAL_DECIDED = "referral_decided", "Referral decided"
        REFERRAL_OVERDUE = "referral_overdue", "Referral decision overdue"
        REFERRAL_STILL_OVERDUE = "referral_still_overdue", "Referral decision still overdue"
        SOCIAL_WORKER_ALLOCATED = "social_worker_allocated", "Allocated as social worker"
        STEP_DOWN_SENT = "step_down_sent", "Step-down to pick up"
        STEP_DOWN_OVERDUE = "step_down_overdue", "Step-down not picked up in time"
        STEP_DOWN_PICKED_UP = "step_down_picked_up", "Step-down picked up"
        ACCOUNT_INVITATION = "account_invitation", "Invitation to choose a password"
        EMAIL_CHANGE_CONFIRM = "email_change_confirm", "Confirm a new e-mail address"
        EMAIL_CHANGED = "email_changed", "E-mail address changed"
        TWO_FACTOR_RESET = "two_factor_reset", "Second factor reset by an administrator"
        CAF_REQUESTED = "caf_requested", "Another agency asks to work with a child known to early help"
        BREAK_GLASS_USED = "break_glass_used", "A child's record opened with break-glass"
        MONTHLY_FIGURES = "monthly_figures", "The council's figures for last month"
        SHARING_DECISION = "sharing_decision", "A decision to share, or not to share, a family's information"

    recipient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_key = models.CharField(max_length=120, help_text='What it is about, e.g. "review:12:2026-12-01".')
    title = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    email = models.EmailField(
        blank=True,
        help_text="Sent to this address instead of the recipient's (a new address to confirm, an old one to warn); "
        "such a notification is not listed on the recipient's notifications page.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(
        null=True, blank=True, help_text="Which sender holds the claim: only it may renew the claim and send."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "subject_key"], name="notification_once"),
        ]
        indexes = [
            models.Index(
                fields=["sent_at", "cancelled_at"],
                name="notification_unsent",
                condition=Q(sent_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} for {self.recipient}"
