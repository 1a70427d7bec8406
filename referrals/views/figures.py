"""The council's figures (issue 16): `/figures/`, a chart and a table for each figure, for a period and
filters chosen in a GET form, and each table as CSV (`?format=csv&figure=<name>`)."""

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.charts import bar_chart
from core.forms import posted_or_none, refusal_show
from referrals import policies
from referrals.forms_figures import ComparisonPeriodForm, FiguresFilterForm, SocialCareReturnForm
from referrals.selectors import council_figures as figures
from referrals.services import social_care_return as services


@require_GET
def council_figures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    asked = any(name in request.GET for name in FiguresFilterForm.base_fields)
    form = FiguresFilterForm(request.GET if asked else None, user=request.user, today=today)
    period, filters = form.chosen()
    fresh = request.GET.get("fresh") == "1"
    shown = figures.council_figures_page(request.user, period=period, filters=filters, today=today, fresh=fresh)
    if request.GET.get("format") == "csv":
        return _csv(request, shown, request.GET.get("figure", ""))
    query = request.GET.copy()
    for name in ("format", "figure"):
        query.pop(name, None)
    sections = [
        (
            key,
            heading,
            [
                (
                    figure,
                    bar_chart(
                        figure.chart_labels, figure.chart_values, target=figure.target, target_label=figure.target_label
                    )
                    if figure.chart_labels
                    else None,
                )
                for figure in section_figures
            ],
        )
        for key, heading, section_figures in shown.sections
    ]
    return render(
        request,
        "referrals/council_figures.html",
        {
            "council": shown.council,
            "period": period,
            "form": form,
            "filtered": filters.any,
            "sections": sections,
            "csv_query": query.urlencode(),
            "counted_at": shown.counted_at,
            "count_again_query": _with(query, fresh="1"),
            "filter_notes": figures.FILTER_NOTES,
            "may_enter_return": policies.may_enter_social_care_return(request.user, shown.council.pk),
        },
    )


def _with(query: Any, **values: str) -> str:
    changed = query.copy()
    for name, value in values.items():
        changed[name] = value
    return changed.urlencode()


def _csv(request: AuthenticatedHttpRequest, shown: figures.CouncilFigures, name: str) -> HttpResponse:
    figure = shown.figure(name)
    if figure is None:
        raise Http404("There is no such figure to download.")
    figures.figure_download_log(request.user, figure, shown.period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{shown.council.slug}-{figure.name}-{shown.period.first:%Y-%m}-to-{shown.period.last:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(figures.figure_csv_rows(figure))
    return response


@require_GET
def councils_compared_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    asked = any(name in request.GET for name in ComparisonPeriodForm.base_fields)
    form = ComparisonPeriodForm(request.GET if asked else None, user=request.user, today=today)
    period, _ = form.chosen()
    compared = figures.councils_compared_page(request.user, period=period)
    return render(request, "referrals/councils_compared.html", {"compared": compared, "form": form})


@require_http_methods(["GET", "POST"])
def social_care_return_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enter or correct one month of the council's own social care return; the months entered below."""
    today = timezone.localdate()
    entered = figures.social_care_returns_entered(request.user)  # 403 for anyone who may not
    initial = {}
    asked = request.GET.get("month", "")
    for month in entered:
        if f"{month.month:%Y-%m}" == asked:
            initial = {"month": asked, "referrals": month.referrals}
    form = SocialCareReturnForm(posted_or_none(request), today=today, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.social_care_return_record(
                user=request.user, month=form.chosen_month(), referrals=form.cleaned_data["referrals"]
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"Saved: {saved.referrals:,} referrals in {saved.month:%B %Y}.")
            return redirect("referrals:social_care_return")
    return render(request, "referrals/social_care_return.html", {"form": form, "entered": entered})


urlpatterns = [
    path("figures/", council_figures_page, name="council_figures"),
    path("figures/social-care-return/", social_care_return_page, name="social_care_return"),
    path("figures/councils/", councils_compared_page, name="councils_compared"),
]
