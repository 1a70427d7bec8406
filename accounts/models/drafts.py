"""What a person typed into a long form and has not saved yet (issue 14; Settled questions 19, 20).

One row per person and form (the form's address), holding the fields as they were posted. It is
written on every submit of a long form, kept when the person's session had ended before they
pressed the button, shown back to that person only, and removed in the same transaction as the real
save. accounts.drafts is the one place that reads and writes it.
"""

from django.db import models

from accounts.models.users import User


class FormDraft(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="form_drafts")
    # The form's address (e.g. /cafs/12/assessment/): one form of one record.
    path = models.CharField(max_length=300)
    # The record the form changes ("caf:12", "referral:7"), so that the services which end a person's
    # access to a record delete their drafts of it in the same transaction.
    record = models.CharField(max_length=60)
    # The posted fields as {name: [values]} (a field may carry several, as checkboxes do).
    data = models.JSONField()
    saved_at = models.DateTimeField()
    # Posted after the session had ended, and kept for the person's next sign-in.
    after_sign_out = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "path"], name="one_draft_per_person_and_form")]
        indexes = [
            models.Index(fields=["record", "user"], name="draft_by_record"),
            models.Index(fields=["saved_at"], name="draft_by_age"),
        ]

    def __str__(self) -> str:
        return f"{self.user}'s draft of {self.path}"
