"""The threshold guide: "Check the threshold" for every signed-in user.

Threshold documents are public policy, not a child's record: any signed-in user may read any
council's published model. Checking creates no record: the check page is a GET form whose address
can be shared, and `partial=1` answers only the result panel, for threshold-check.js.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_ids
from thresholds.classifier import Answers, Result, classify
from thresholds.forms_guide import ThresholdCheckForm
from thresholds.selectors import current_models, model_guide, model_snapshot

# Any of these in the query string means the form was submitted (the JavaScript sends them all).
CHECK_FIELDS = ("indicator", "extra_unmet_needs", "age", "unborn", "send")


def check_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each council's current model, the user's own council first."""
    models = list(current_models())
    chosen = request.GET.get("model")
    if chosen is not None:
        match = next((model for model in models if str(model.pk) == chosen.strip()), None)
        if match is None:
            raise Http404("No published threshold model has that number.")
        return redirect("thresholds:check", model_id=match.pk)
    own_council_id = request.user.council_id
    models.sort(key=lambda model: model.council_id != own_council_id)  # stable: the rest stay by name
    return render(request, "thresholds/guide_start.html", {"models": models, "own_council_id": own_council_id})


def _announcement(form: ThresholdCheckForm, result: Result | None) -> str:
    if form.is_bound and form.errors:
        return "There is a problem with your answers: see the list at the top of the result."
    if result is None:
        return ""
    if result.refer_now:
        return f"Refer to children's social care now. Suggested level: {result.level.label}."
    if result.level is None:
        return "This council gives no example indicators: choose the level from the level descriptions."
    caf = "A CAF is suggested." if result.caf_suggested else "A CAF is not suggested."
    return f"Suggested level: {result.level.label}. {caf}"


def check(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    """Tick indicators, see the suggested level and why. A fixed number of queries whatever the
    model's size or the number ticked: the snapshot and the guide are read in bulk."""
    threshold_model = get_object_or_404(current_models(), pk=model_id)
    snapshot = model_snapshot(threshold_model)
    submitted = any(name in request.GET for name in CHECK_FIELDS)
    form = ThresholdCheckForm(request.GET if submitted else None, indicator_ids=snapshot.indicators.keys())
    result = None
    if not snapshot.indicators:
        result = classify(snapshot, Answers())  # says plainly to choose from the level descriptions
    elif form.is_bound and form.is_valid():
        result = classify(snapshot, form.answers)
    partial = request.GET.get("partial") == "1"
    context = {
        "threshold_model": threshold_model,
        "has_indicators": bool(snapshot.indicators),
        "form": form,
        "result": result,
        "partial": partial,
        "announcement": _announcement(form, result),
    }
    if partial:
        return render(request, "thresholds/guide_result.html", context)
    ticked = parse_ids(form.data.getlist("indicator")) if submitted else set()
    context.update({"guide": model_guide(threshold_model), "ticked": ticked})
    return render(request, "thresholds/guide_check.html", context)


urlpatterns = [
    path("check/", check_start, name="check_start"),
    path("check/<int:model_id>/", check, name="check"),
]
