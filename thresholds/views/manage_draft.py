"""Council administrators: editing a draft version's levels, indicators, rules and policy cases.
Access and refusals as in `manage_shared`: a published or retired version refuses every page here."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path

from accounts.http import AuthenticatedHttpRequest
from core.forms import refusal_show
from thresholds.forms_manage import CountRuleForm, IndicatorForm, LevelForm, PolicyCaseForm
from thresholds.models import Indicator, PolicyCase, ThresholdModel
from thresholds.services import (
    indicator_remove,
    indicator_save,
    level_update,
    policy_case_remove,
    policy_case_save,
    rule_remove,
    rule_save,
)
from thresholds.views.manage_shared import (
    GET_AND_POST,
    form_page,
    model_for_administrator_or_404,
    model_url,
    refused_page,
    remove_confirm_page,
)

# Levels -------------------------------------------------------------------------------------------


@GET_AND_POST
def level_edit(request: AuthenticatedHttpRequest, model_id: int, level_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    level = get_object_or_404(threshold_model.levels, pk=level_id)
    template = "thresholds/manage_level.html"
    if request.method == "GET":
        if not threshold_model.is_editable:
            return refused_page(request, threshold_model)
        form = LevelForm(initial=LevelForm.initial_for(level))
    else:
        form = LevelForm(request.POST)
        if form.is_valid():
            try:
                level_update(user=request.user, level=level, **form.cleaned_data)
            except ValidationError as error:
                refusal_show(form, error)
                return form_page(request, template, threshold_model, form, True, level=level)
            messages.success(request, f"{level.label} saved.")
            return redirect(model_url(threshold_model) + f"#level-{level.pk}")
    return form_page(request, template, threshold_model, form, level=level)


# Indicators ---------------------------------------------------------------------------------------


@GET_AND_POST
def indicator_add(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    return _indicator_form(request, model_for_administrator_or_404(request, model_id), None)


@GET_AND_POST
def indicator_edit(request: AuthenticatedHttpRequest, model_id: int, indicator_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    return _indicator_form(request, threshold_model, get_object_or_404(threshold_model.indicators, pk=indicator_id))


def _indicator_form(
    request: AuthenticatedHttpRequest, threshold_model: ThresholdModel, indicator: Indicator | None
) -> HttpResponse:
    template = "thresholds/manage_indicator.html"
    if request.method == "GET":
        if not threshold_model.is_editable:
            return refused_page(request, threshold_model)
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
                return form_page(request, template, threshold_model, form, True, indicator=indicator)
            messages.success(request, f'Indicator "{changed.text}" saved.')
            return redirect(model_url(threshold_model) + f"#level-{changed.level_id}")
    return form_page(request, template, threshold_model, form, indicator=indicator)


@GET_AND_POST
def indicator_remove_confirm(request: AuthenticatedHttpRequest, model_id: int, indicator_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    indicator = get_object_or_404(threshold_model.indicators.select_related("level", "sub_domain"), pk=indicator_id)
    return remove_confirm_page(
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
    threshold_model = model_for_administrator_or_404(request, model_id)
    template = "thresholds/manage_rule.html"
    if request.method == "GET":
        if not threshold_model.is_editable:
            return refused_page(request, threshold_model)
        form = CountRuleForm(threshold_model=threshold_model)
    else:
        form = CountRuleForm(request.POST, threshold_model=threshold_model)
        if form.is_valid():
            rule = form.rule()
            try:
                rule_save(user=request.user, rule=rule)
            except ValidationError as error:
                refusal_show(form, error)
                return form_page(request, template, threshold_model, form, True)
            messages.success(request, f"Rule added: {rule}.")
            return redirect(model_url(threshold_model) + "#rules")
    return form_page(request, template, threshold_model, form)


@GET_AND_POST
def rule_remove_confirm(request: AuthenticatedHttpRequest, model_id: int, rule_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    rule = get_object_or_404(threshold_model.rules.select_related("at_level", "suggests_level"), pk=rule_id)
    return remove_confirm_page(
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
    return _policy_case_form(request, model_for_administrator_or_404(request, model_id), None)


@GET_AND_POST
def policy_case_edit(request: AuthenticatedHttpRequest, model_id: int, case_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    case = get_object_or_404(threshold_model.policy_cases.prefetch_related("indicators"), pk=case_id)
    return _policy_case_form(request, threshold_model, case)


def _policy_case_form(
    request: AuthenticatedHttpRequest, threshold_model: ThresholdModel, case: PolicyCase | None
) -> HttpResponse:
    template = "thresholds/manage_policy_case.html"
    if request.method == "GET":
        if not threshold_model.is_editable:
            return refused_page(request, threshold_model)
        form = PolicyCaseForm(threshold_model=threshold_model, case=case)
    else:
        form = PolicyCaseForm(request.POST, threshold_model=threshold_model)
        if form.is_valid():
            changed = form.apply_to(case or PolicyCase(threshold_model=threshold_model))
            try:
                policy_case_save(user=request.user, case=changed, indicators=form.chosen_indicators())
            except ValidationError as error:
                refusal_show(form, error)
                return form_page(request, template, threshold_model, form, True, case=case)
            messages.success(request, f'Policy case "{changed.name}" saved.')
            return redirect(model_url(threshold_model) + "#policy-cases")
    return form_page(request, template, threshold_model, form, case=case)


@GET_AND_POST
def policy_case_remove_confirm(request: AuthenticatedHttpRequest, model_id: int, case_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    case = get_object_or_404(threshold_model.policy_cases, pk=case_id)
    return remove_confirm_page(
        request,
        threshold_model,
        what="policy case",
        template="thresholds/manage_policy_case_remove.html",
        remove=lambda: policy_case_remove(user=request.user, case=case),
        done=f'Policy case "{case.name}" removed.',
        anchor="#policy-cases",
        case=case,
    )


urlpatterns = [
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
]
