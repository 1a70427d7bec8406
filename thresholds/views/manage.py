"""Council administrators: draft versions, edits, comparison, policy cases and publishing.

Every page is for the council administrators of the version's own council: `_get_model_for_admin`
fetches through `models_for_administration` (another council's version is 404) after checking the
role (anyone else gets 403). Every write goes through thresholds.services, which refuses any change
to a published or retired version; the views show its refusal, never a 500.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Role
from accounts.parsing import parse_id
from core.errors import Refused
from core.forms import posted_or_none, refusal_show
from thresholds.forms_manage import (
    CountRuleForm,
    DraftFromOtherCouncilForm,
    DraftStartForm,
    IndicatorForm,
    LevelForm,
    PolicyCaseForm,
)
from thresholds.models import Indicator, PolicyCase, Rule, ThresholdModel
from thresholds.selectors import current_models, model_guide, models_compare, models_for_administration
from thresholds.services import (
    indicator_remove,
    indicator_save,
    level_update,
    policy_case_remove,
    policy_case_save,
    policy_cases_run,
    publish_problems,
    rule_remove,
    rule_save,
    threshold_model_draft_start,
    threshold_model_publish,
)

GET_AND_POST = require_http_methods(["GET", "POST"])


def _check_council_administrator(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_role(Role.COUNCIL_ADMINISTRATOR) or request.user.council_id is None:
        raise PermissionDenied("Only council administrators manage threshold models.")


def _get_model_for_admin(request: AuthenticatedHttpRequest, model_id: int) -> ThresholdModel:
    """The version, if the user administers its council: 403 for other roles, 404 for another council's."""
    _check_council_administrator(request)
    return get_object_or_404(models_for_administration(request.user), pk=model_id)


def _model_url(threshold_model: ThresholdModel) -> str:
    return reverse("thresholds:manage_model", args=[threshold_model.pk])


def _refused(
    request: AuthenticatedHttpRequest, threshold_model: ThresholdModel, reasons: list[str] | None = None
) -> HttpResponse:
    """A page that would change a version that can no longer change (409, a conflict with its state)."""
    context = {"threshold_model": threshold_model, "reasons": reasons or []}
    return render(request, "thresholds/manage_refused.html", context, status=409)


def _form_page(
    request: AuthenticatedHttpRequest,
    template: str,
    threshold_model: ThresholdModel,
    form: forms.Form,
    refused: bool = False,
    **context: Any,
) -> HttpResponse:
    # The service's refusal of a change to a published or retired version gets the refused page
    # with its message; any other refusal is an input error shown on the form, as GOV.UK forms do.
    if refused and not threshold_model.is_editable:
        return _refused(request, threshold_model, list(form.non_field_errors()))
    return render(request, template, {"threshold_model": threshold_model, "form": form, **context})


def _versions_of(request: AuthenticatedHttpRequest, threshold_model: ThresholdModel) -> Any:
    """The other versions of the same council, fetched with the user's check like the version itself."""
    return (
        models_for_administration(request.user)
        .filter(council_id=threshold_model.council_id)
        .exclude(pk=threshold_model.pk)
        .order_by("-version")
    )


def _current_published(request: AuthenticatedHttpRequest, threshold_model: ThresholdModel) -> ThresholdModel | None:
    return _versions_of(request, threshold_model).filter(status=ThresholdModel.Status.PUBLISHED).first()


# Versions -----------------------------------------------------------------------------------------


def _versions_page(
    request: AuthenticatedHttpRequest, start_form: DraftStartForm, copy_form: DraftFromOtherCouncilForm
) -> HttpResponse:
    versions = models_for_administration(request.user).filter(council_id=request.user.council_id).order_by("-version")
    return render(
        request,
        "thresholds/manage_versions.html",
        {"versions": versions, "start_form": start_form, "copy_form": copy_form},
    )


def _other_councils_models(request: AuthenticatedHttpRequest) -> Any:
    return current_models().exclude(council_id=request.user.council_id)


def manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    _check_council_administrator(request)
    return _versions_page(request, DraftStartForm(), DraftFromOtherCouncilForm(models=_other_councils_models(request)))


@require_POST
def draft_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a draft for the user's own council: a copy of its latest version or of another council's model."""
    _check_council_administrator(request)
    start_form = DraftStartForm(request.POST if "copy" not in request.POST else None)
    copy_form = DraftFromOtherCouncilForm(
        request.POST if "copy" in request.POST else None, models=_other_councils_models(request)
    )
    form: forms.Form = copy_form if "copy" in request.POST else start_form
    if form.is_valid():
        try:
            draft = threshold_model_draft_start(
                user=request.user, council=request.user.council, copy_from=form.cleaned_data.get("copy_from")
            )
        except Refused as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"Version {draft.version} started as a draft, a copy of {draft.based_on}.")
            return redirect(_model_url(draft))
    return _versions_page(request, start_form, copy_form)


def model_detail(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    return render(
        request,
        "thresholds/manage_model.html",
        {
            "threshold_model": threshold_model,
            "guide": model_guide(threshold_model),
            "rules": threshold_model.rules.select_related("at_level", "suggests_level"),
            "outcomes": policy_cases_run(threshold_model),
        },
    )


# Levels -------------------------------------------------------------------------------------------


@GET_AND_POST
def level_edit(request: AuthenticatedHttpRequest, model_id: int, level_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    level = get_object_or_404(threshold_model.levels, pk=level_id)
    if request.method == "GET":
        if not threshold_model.is_editable:
            return _refused(request, threshold_model)
        form = LevelForm(initial=LevelForm.initial_for(level))
    else:
        form = LevelForm(request.POST)
        if form.is_valid():
            try:
                level_update(user=request.user, level=level, **form.cleaned_data)
            except ValidationError as error:
                refusal_show(form, error)
                return _form_page(request, "thresholds/manage_level.html", threshold_model, form, True, level=level)
            messages.success(request, f"{level.label} saved.")
            return redirect(_model_url(threshold_model) + f"#level-{level.pk}")
    return _form_page(request, "thresholds/manage_level.html", threshold_model, form, level=level)


# Indicators ---------------------------------------------------------------------------------------


@GET_AND_POST
def indicator_add(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    return _indicator_form(request, _get_model_for_admin(request, model_id), None)


@GET_AND_POST
def indicator_edit(request: AuthenticatedHttpRequest, model_id: int, indicator_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    return _indicator_form(request, threshold_model, get_object_or_404(threshold_model.indicators, pk=indicator_id))


def _indicator_form(
    request: AuthenticatedHttpRequest, threshold_model: ThresholdModel, indicator: Indicator | None
) -> HttpResponse:
    template = "thresholds/manage_indicator.html"
    if request.method == "GET":
        if not threshold_model.is_editable:
            return _refused(request, threshold_model)
        initial = IndicatorForm.initial_for(indicator) if indicator else {"kind": Indicator.Kind.NEED}
        form = IndicatorForm(initial=initial, threshold_model=threshold_model)
    else:
        form = IndicatorForm(request.POST, threshold_model=threshold_model)
        if form.is_valid():
            changed = form.apply_to(indicator or Indicator(threshold_model=threshold_model))
            try:
                indicator_save(user=request.user, indicator=changed)
            except ValidationError as error:
                refusal_show(form, error)
                return _form_page(request, template, threshold_model, form, True, indicator=indicator)
            messages.success(request, f'Indicator "{changed.text}" saved.')
            return redirect(_model_url(threshold_model) + f"#level-{changed.level_id}")
    return _form_page(request, template, threshold_model, form, indicator=indicator)


def _remove_confirm(
    request: AuthenticatedHttpRequest,
    threshold_model: ThresholdModel,
    *,
    what: str,
    template: str,
    remove: Callable[[], object],
    done: str,
    anchor: str,
    **context: Any,
) -> HttpResponse:
    """The confirmation page for removing a part of a draft: GET asks, POST removes through the
    service (whose refusals show on the page); a published or retired version refuses both."""
    form = ConfirmForm(posted_or_none(request), button=f"Remove {what}", warning=True)
    if request.method == "GET" and not threshold_model.is_editable:
        return _refused(request, threshold_model)
    if request.method == "POST" and form.is_valid():
        try:
            remove()
        except ValidationError as error:
            refusal_show(form, error)
            return _form_page(request, template, threshold_model, form, True, **context)
        messages.success(request, done)
        return redirect(_model_url(threshold_model) + anchor)
    return _form_page(request, template, threshold_model, form, **context)


@GET_AND_POST
def indicator_remove_confirm(request: AuthenticatedHttpRequest, model_id: int, indicator_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    indicator = get_object_or_404(threshold_model.indicators.select_related("level", "sub_domain"), pk=indicator_id)
    return _remove_confirm(
        request,
        threshold_model,
        what="indicator",
        template="thresholds/manage_indicator_remove.html",
        remove=lambda: indicator_remove(user=request.user, indicator=indicator),
        done=f'Indicator "{indicator.text}" removed.',
        anchor=f"#level-{indicator.level_id}",
        indicator=indicator,
    )


# Rules --------------------------------------------------------------------------------------------


@GET_AND_POST
def rule_add(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    template = "thresholds/manage_rule.html"
    if request.method == "GET":
        if not threshold_model.is_editable:
            return _refused(request, threshold_model)
        form = CountRuleForm(threshold_model=threshold_model)
    else:
        form = CountRuleForm(request.POST, threshold_model=threshold_model)
        if form.is_valid():
            at_level, suggests_level = form.levels()
            rule = Rule(
                threshold_model=threshold_model,
                kind=Rule.Kind.COUNT,
                count=form.cleaned_data["count"],
                at_level=at_level,
                suggests_level=suggests_level,
                text=form.cleaned_data["text"],
            )
            try:
                rule_save(user=request.user, rule=rule)
            except ValidationError as error:
                refusal_show(form, error)
                return _form_page(request, template, threshold_model, form, True)
            messages.success(request, f"Rule added: {rule}.")
            return redirect(_model_url(threshold_model) + "#rules")
    return _form_page(request, template, threshold_model, form)


@GET_AND_POST
def rule_remove_confirm(request: AuthenticatedHttpRequest, model_id: int, rule_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    rule = get_object_or_404(threshold_model.rules.select_related("at_level", "suggests_level"), pk=rule_id)
    return _remove_confirm(
        request,
        threshold_model,
        what="rule",
        template="thresholds/manage_rule_remove.html",
        remove=lambda: rule_remove(user=request.user, rule=rule),
        done=f"Rule removed: {rule}.",
        anchor="#rules",
        rule=rule,
    )


# Policy cases -------------------------------------------------------------------------------------


@GET_AND_POST
def policy_case_add(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    return _policy_case_form(request, _get_model_for_admin(request, model_id), None)


@GET_AND_POST
def policy_case_edit(request: AuthenticatedHttpRequest, model_id: int, case_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    case = get_object_or_404(threshold_model.policy_cases.prefetch_related("indicators"), pk=case_id)
    return _policy_case_form(request, threshold_model, case)


def _policy_case_form(
    request: AuthenticatedHttpRequest, threshold_model: ThresholdModel, case: PolicyCase | None
) -> HttpResponse:
    template = "thresholds/manage_policy_case.html"
    if request.method == "GET":
        if not threshold_model.is_editable:
            return _refused(request, threshold_model)
        form = PolicyCaseForm(threshold_model=threshold_model, case=case)
    else:
        form = PolicyCaseForm(request.POST, threshold_model=threshold_model)
        if form.is_valid():
            changed = form.apply_to(case or PolicyCase(threshold_model=threshold_model))
            try:
                policy_case_save(user=request.user, case=changed, indicators=form.chosen_indicators())
            except ValidationError as error:
                refusal_show(form, error)
                return _form_page(request, template, threshold_model, form, True, case=case)
            messages.success(request, f'Policy case "{changed.name}" saved.')
            return redirect(_model_url(threshold_model) + "#policy-cases")
    return _form_page(request, template, threshold_model, form, case=case)


@GET_AND_POST
def policy_case_remove_confirm(request: AuthenticatedHttpRequest, model_id: int, case_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    case = get_object_or_404(threshold_model.policy_cases, pk=case_id)
    return _remove_confirm(
        request,
        threshold_model,
        what="policy case",
        template="thresholds/manage_policy_case_remove.html",
        remove=lambda: policy_case_remove(user=request.user, case=case),
        done=f'Policy case "{case.name}" removed.',
        anchor="#policy-cases",
        case=case,
    )


# Comparing and publishing -------------------------------------------------------------------------


def _default_comparison(request: AuthenticatedHttpRequest, threshold_model: ThresholdModel) -> ThresholdModel | None:
    """A draft against the version it started from; otherwise the council's current published
    version; otherwise the version before."""
    if threshold_model.is_editable and threshold_model.based_on_id:
        return threshold_model.based_on
    return (
        _current_published(request, threshold_model)
        or _versions_of(request, threshold_model).filter(version__lt=threshold_model.version).first()
    )


def compare(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    versions = _versions_of(request, threshold_model)
    other: ThresholdModel | None = None
    chosen = request.GET.get("with", "")
    chosen_id = parse_id(chosen)
    if chosen_id is not None:
        if chosen_id == threshold_model.based_on_id:  # may be another council's published model
            other = threshold_model.based_on
        else:
            other = get_object_or_404(versions, pk=chosen_id)
    elif not chosen:
        other = _default_comparison(request, threshold_model)
    old, new = other, threshold_model
    if other and other.council_id == threshold_model.council_id and other.version > threshold_model.version:
        old, new = threshold_model, other
    return render(
        request,
        "thresholds/manage_compare.html",
        {
            "threshold_model": threshold_model,
            "old": old,
            "new": new,
            "difference": models_compare(old, new) if old and old.pk != new.pk else None,
            "versions": versions,
            "chosen": other.pk if other else None,
        },
    )


@GET_AND_POST
def publish(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    threshold_model = _get_model_for_admin(request, model_id)
    if request.method == "GET" and not threshold_model.is_editable:
        return _refused(request, threshold_model)
    form = ConfirmForm(posted_or_none(request), button=f"Publish version {threshold_model.version}")
    if request.method == "POST" and form.is_valid():
        try:
            published = threshold_model_publish(user=request.user, threshold_model=threshold_model)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"Version {published.version} is published: it is now the council's model.")
            return redirect(_model_url(published))
    current = _current_published(request, threshold_model)
    against = current or threshold_model.based_on
    return _form_page(
        request,
        "thresholds/manage_publish.html",
        threshold_model,
        form,
        refused=bool(form.errors),
        against=against,
        current=current,
        difference=models_compare(against, threshold_model) if against else None,
        problems=publish_problems(threshold_model) if threshold_model.is_editable else [],
    )


urlpatterns = [
    path("manage/", manage, name="manage"),
    path("manage/start/", draft_start, name="manage_draft_start"),
    path("manage/<int:model_id>/", model_detail, name="manage_model"),
    path("manage/<int:model_id>/levels/<int:level_id>/", level_edit, name="manage_level"),
    path("manage/<int:model_id>/indicators/add/", indicator_add, name="manage_indicator_add"),
    path("manage/<int:model_id>/indicators/<int:indicator_id>/", indicator_edit, name="manage_indicator"),
    path(
        "manage/<int:model_id>/indicators/<int:indicator_id>/remove/",
        indicator_remove_confirm,
        name="manage_indicator_remove",
    ),
    path("manage/<int:model_id>/rules/add/", rule_add, name="manage_rule_add"),
    path("manage/<int:model_id>/rules/<int:rule_id>/remove/", rule_remove_confirm, name="manage_rule_remove"),
    path("manage/<int:model_id>/policy-cases/add/", policy_case_add, name="manage_policy_case_add"),
    path("manage/<int:model_id>/policy-cases/<int:case_id>/", policy_case_edit, name="manage_policy_case"),
    path(
        "manage/<int:model_id>/policy-cases/<int:case_id>/remove/",
        policy_case_remove_confirm,
        name="manage_policy_case_remove",
    ),
    path("manage/<int:model_id>/compare/", compare, name="manage_compare"),
    path("manage/<int:model_id>/publish/", publish, name="manage_publish"),
]
