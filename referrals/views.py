from typing import Any

from crispy_forms_gds.layout import Field
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from accounts.forms import gds_helper
from caf.views.common import form_errors_from
from referrals.models import Referral
from referrals.selectors import referral_get_for_user
from referrals.services import referral_send


class SendForm(forms.Form):
    concern = forms.CharField(
        label="What is the concern?",
        help_text="What you have seen or been told, by whom and when. Say what has been done to keep the child safe.",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Describe the concern"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(Field.textarea("concern"), button="Send to children's social care")


def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = referral_get_for_user(request.user, referral_id)
    form = None
    if referral.status == Referral.Status.DRAFT:
        form = SendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                referral_send(user=request.user, referral=referral, concern=form.cleaned_data["concern"])
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, "The referral has been sent to children's social care.")
                return redirect("referrals:referral_detail", referral_id=referral.pk)
    return render(
        request, "referrals/detail.html", {"referral": referral, "form": form, "children": referral.children.all()}
    )


app_name = "referrals"
urlpatterns = [path("referrals/<int:referral_id>/", referral_detail, name="referral_detail")]
