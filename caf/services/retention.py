"""Retention (Settled question 25): legal holds on a child, and anonymising the families whose
every record is past its retention date (caf.selectors.retention says which).

Anonymising replaces what identifies a person, and every text a person typed, with fixed
placeholders; it keeps what the figures count (the rows themselves, dates of the work, levels,
decisions, agencies, sex and year of birth), so every figure counts the same before and after.
"""

import logging
from datetime import date

from django.db import transaction
from django.db.models import DateField, F, Func, Max, Model, Q, QuerySet
from django.utils import timezone

from accounts.models import FormDraft, LocalAuthority, Notification, User
from caf import hooks, policies
from caf.access_log import access_log_write
from caf.models import (
    AccessLog,
    Adult,
    Anonymisation,
    AssessmentEntry,
    Caf,
    CafChild,
    Child,
    ChildCorrection,
    Consent,
    ExclusionException,
    FamilyExclusion,
    LegalHold,
    LevelChange,
    PlanAction,
    Review,
    ReviewActionProgress,
    ReviewDateChange,
    SharingDecision,
    SocialCareStage,
)
from caf.selectors.retention import RetentionFamily, retention_families
from core.date_bounds import SOCIAL_CARE_STAGE, out_of_bounds
from core.errors import Refused
from core.signals import queues_changed

logger = logging.getLogger(__name__)

# What replaces a text a person typed (a blank stays blank), and a child's and an adult's name.
PLACEHOLDER = "[Anonymised]"
CHILD_FIRST_NAME = "Anonymised"
CHILD_LAST_NAME = "record"
ADULT_NAME = "Anonymised"
# A date of birth keeps its year (age bands in figures), on 1 July: never more than half a year out.
BIRTH_MONTH, BIRTH_DAY = 7, 1

# The free text of each of the family's records: replaced with PLACEHOLDER where not blank.
FREE_TEXT: list[tuple[type[Model], str, tuple[str, ...]]] = [
    (Caf, "pk__in", ("outcome_summary", "views_of_child", "views_of_family")),
    (CafChild, "caf__in", ("level_reason",)),
    (LevelChange, "caf_child__caf__in", ("reason",)),
    (AssessmentEntry, "caf__in", ("strengths", "needs")),
    (Consent, "caf__in", ("given_by", "competence_note", "copy_to", "withdrawal_reason")),
    (FamilyExclusion, "caf__in", ("made_by", "lift_reason")),
    (ExclusionException, "caf__in", ("reason",)),
    (SharingDecision, "caf__in", ("asked_by", "what", "reason")),
    (PlanAction, "caf__in", ("need", "action", "outcome")),
    (Review, "caf__in", ("family_attendees", "summary")),
    (ReviewActionProgress, "review__caf__in", ("note",)),
    (ReviewDateChange, "caf__in", ("reason",)),
]


def _year_kept(name: str) -> Func:
    """The date's year, on BIRTH_MONTH/BIRTH_DAY (NULL stays NULL)."""
    return Func(
        F(name),
        template=f"make_date(EXTRACT(YEAR FROM %(expressions)s)::int, {BIRTH_MONTH}, {BIRTH_DAY})",
        output_field=DateField(),
    )


# Legal hold ---------------------------------------------------------------------------------------


def _locked_child(child: Child) -> Child:
    # The anonymising job locks the family's children too: a hold and an anonymisation never cross.
    return Child.objects.select_for_update().get(pk=child.pk)


def legal_hold_place(*, user: User, child: Child, reason: str) -> LegalHold:
    """A CAF administrator of the child's council places a hold, saying why: while it is in force
    nothing of the child's family is anonymised."""
    policies.refuse_unless(
        policies.may_manage_legal_hold(user, child), "Only the council's CAF administrators place a legal hold."
    )
    if not reason.strip():
        raise Refused("Enter why the records must be kept.")
    with transaction.atomic():
        child = _locked_child(child)
        if child.anonymised_at is not None:
            raise Refused("This record has already been anonymised: there is nothing left to hold.")
        if LegalHold.objects.filter(child=child, lifted_at__isnull=True).exists():
            raise Refused("This child's records are already under legal hold.")
        hold = LegalHold.objects.create(council_id=child.council_id, child=child, reason=reason.strip(), placed_by=user)
        access_log_write(user=user, action=AccessLog.Action.CHANGE, what="Placed a legal hold", child=child)
    return hold


def legal_hold_lift(*, user: User, child: Child, reason: str) -> LegalHold:
    """A CAF administrator of the child's council lifts the hold in force, saying why; the family's
    records are then anonymised by the next nightly run if they are past their date."""
    policies.refuse_unless(
        policies.may_manage_legal_hold(user, child), "Only the council's CAF administrators lift a legal hold."
    )
    if not reason.strip():
        raise Refused("Enter why the hold is lifted.")
    with transaction.atomic():
        child = _locked_child(child)
        hold = LegalHold.objects.select_for_update().filter(child=child, lifted_at__isnull=True).first()
        if hold is None:
            raise Refused("This child's records are not under legal hold.")
        hold.lifted_at = timezone.now()
        hold.lifted_by = user
        hold.lift_reason = reason.strip()
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        access_log_write(user=user, action=AccessLog.Action.CHANGE, what="Lifted the legal hold", child=child)
    return hold


# Social care stages ------------------------------------------------------------------------------


def social_care_stage_record(
    *, user: User, child: Child, stage: str, reached_on: date, note: str = ""
) -> SocialCareStage:
    """A social care manager of the child's council records a stage the child reached (became looked
    after, adopted; or Child in Need or child protection held in another system), on a day between
    the child's birth and today; once per stage. Every record of the child's family is then kept
    until the child reaches the stage's age (a council setting). Written to the access log."""
    policies.refuse_unless(
        policies.may_record_social_care_stage(user, child),
        "Only the council's social care managers record a social care stage.",
    )
    if stage not in SocialCareStage.Stage.values:
        raise Refused({"stage": "Choose the stage the child reached"})
    born = child.date_of_birth or child.expected_date_of_birth
    too = out_of_bounds(reached_on, "The date the child reached the stage", *SOCIAL_CARE_STAGE)
    if too is None and born is not None and reached_on < born:
        too = f"The date the child reached the stage must be on or after their date of birth, {born:%-d %B %Y}"
    if too:
        raise Refused({"reached_on": too})
    with transaction.atomic():
        child = _locked_child(child)
        if child.anonymised_at is not None:
            raise Refused("This record has been anonymised: nothing more is recorded on it.")
        if SocialCareStage.objects.filter(child=child, stage=stage).exists():
            raise Refused({"stage": "This stage is already recorded for the child"})
        recorded = SocialCareStage.objects.create(
            council_id=child.council_id,
            child=child,
            stage=stage,
            reached_on=reached_on,
            note=note.strip(),
            recorded_by=user,
        )
        access_log_write(
            user=user,
            action=AccessLog.Action.CHANGE,
            what=f"Recorded a social care stage: {recorded.get_stage_display()}",
            child=child,
        )
    return recorded


# Anonymisation ------------------------------------------------------------------------------------


def anonymise_due(*, council: LocalAuthority, today: date) -> list[Anonymisation]:
    """Anonymise every family of the council whose records are all past their retention date,
    none of whose children is under legal hold, and none with a referral or step-down still open;
    each family in its own transaction, with an Anonymisation row of what was done. Idempotent: a
    family already anonymised is skipped, so a second run changes nothing and records nothing."""
    done = []
    for family in retention_families(council):
        if not family.is_due(today):
            continue
        record = _family_anonymise(council, family, today)
        if record is not None:
            done.append(record)
    logger.info("Retention: %s: %d families anonymised", council.slug, len(done))
    return done


def _family_anonymise(council: LocalAuthority, family: RetentionFamily, today: date) -> Anonymisation | None:
    with transaction.atomic():
        # Lock the family's children, then ask again about holds: a hold placed since the family was
        # read waits for us, or we see it.
        list(Child.objects.select_for_update().filter(pk__in=family.child_ids).values_list("pk"))
        if LegalHold.objects.filter(child__in=family.child_ids, lifted_at__isnull=True).exists():
            return None
        caf_ids = list(
            Caf.objects.select_for_update()
            .filter(pk__in=family.caf_ids, anonymised_at__isnull=True)
            .values_list("pk", flat=True)
        )
        child_ids = list(
            Child.objects.filter(pk__in=family.child_ids, anonymised_at__isnull=True).values_list("pk", flat=True)
        )
        adult_ids = list(
            Adult.objects.filter(pk__in=family.adult_ids, anonymised_at__isnull=True).values_list("pk", flat=True)
        )
        if not (caf_ids or child_ids or adult_ids):
            return None
        now = timezone.now()
        counts: dict[str, int] = {}
        for model, lookup, fields in FREE_TEXT:
            rows = model._default_manager.filter(**{lookup: caf_ids})
            changed: set[int] = set()
            for name in fields:
                changed.update(rows.exclude(**{name: ""}).values_list("pk", flat=True))
                rows.exclude(**{name: ""}).update(**{name: PLACEHOLDER})
            counts[model._meta.model_name or model.__name__] = len(changed)
        counts["children"] = Child.objects.filter(pk__in=child_ids).update(
            first_name=CHILD_FIRST_NAME,
            last_name=CHILD_LAST_NAME,
            known_as="",
            date_of_birth=_year_kept("date_of_birth"),
            expected_date_of_birth=_year_kept("expected_date_of_birth"),
            gender="",
            ethnicity="",
            first_language="",
            address="",
            postcode="",
            school_or_setting="",
            nhs_number="",
            upn="",
            anonymised_at=now,
        )
        counts["child_corrections"] = ChildCorrection.objects.filter(
            Q(child__in=child_ids) | Q(taken_from__in=child_ids)
        ).update(old_value=PLACEHOLDER, new_value=PLACEHOLDER)
        counts["social_care_stages"] = (
            SocialCareStage.objects.filter(child__in=family.child_ids).exclude(note="").update(note=PLACEHOLDER)
        )
        counts["adults"] = Adult.objects.filter(pk__in=adult_ids).update(
            full_name=ADULT_NAME, phone="", address="", anonymised_at=now
        )
        counts["form_drafts"] = FormDraft.objects.filter(record__in=[f"caf:{pk}" for pk in caf_ids]).delete()[0]
        counts["notifications"] = _notifications(caf_ids, child_ids).update(title=PLACEHOLDER, body=PLACEHOLDER)
        counts.update(hooks.retention_anonymise(caf_ids, family.child_ids))
        Caf.objects.filter(pk__in=caf_ids).update(anonymised_at=now)
        queues_changed.send(sender=Anonymisation, council_id=council.pk)  # names gone from the home queues
        return Anonymisation.objects.create(
            council=council,
            at=now,
            run_on=today,
            retention_date=family.retention_on or today,
            caf_ids=family.caf_ids,
            child_ids=family.child_ids,
            adult_ids=family.adult_ids,
            counts=counts,
        )


def _notifications(caf_ids: list[int], child_ids: list[int]) -> QuerySet[Notification]:
    """The notifications about the family's CAFs (reviews, lead professional, actions) and children
    (requests to work with a child): their titles and bodies name the children."""
    action_ids = list(PlanAction.objects.filter(caf__in=caf_ids).values_list("pk", flat=True))
    keys = Q(pk__in=[])
    for pk in caf_ids:
        keys |= Q(subject_key__startswith=f"review:{pk}:") | Q(subject_key__startswith=f"lead-ended:{pk}:")
        keys |= Q(subject_key=f"no-lead:{pk}")
    for pk in action_ids:
        keys |= Q(subject_key__startswith=f"action:{pk}:")
    for pk in child_ids:
        keys |= Q(subject_key__startswith=f"caf-request:{pk}:")
    return Notification.objects.filter(keys)


# The nightly job ----------------------------------------------------------------------------------


def retention_run(*, today: date, councils: QuerySet[LocalAuthority] | None = None) -> dict[str, int]:
    """Anonymise what is due in each council (one council's failure is logged with its name and
    never stops the others), then retire the access log's old months by the longest of every
    council's setting (the months hold every council's rows). Returns the families anonymised per
    council."""
    from caf.access_log_partitions import access_log_months_retire

    anonymised: dict[str, int] = {}
    for council in councils if councils is not None else LocalAuthority.objects.order_by("pk"):
        try:
            anonymised[council.slug] = len(anonymise_due(council=council, today=today))
        except Exception:
            logger.exception("Retention: council %s (%s) not done; the next run tries again", council.pk, council.slug)
    if councils is None:
        longest = LocalAuthority.objects.aggregate(months=Max("access_log_retention_months"))["months"]
        if longest is not None:
            access_log_months_retire(now=timezone.now(), keep_months=longest)
    return anonymised
