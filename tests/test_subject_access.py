"""Subject access (issue 15; Settled question 26): a CAF administrator records a request about a child
or an adult, downloads a draft export (a zip of HTML, PDF and CSV) with other people's data marked, and
records the release decision. Each download is in the access log; nobody else may, and an
administrator the family excluded may not either (Settled question 16)."""

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import FormDraft, Role
from caf import services
from caf.models import AccessLog, PlanAction, Review, SubjectAccessRequest
from caf.subject_access import THIRD_PARTY_LABEL, csv_safe
from referrals import services as referral_services
from tests.caf_helpers import complete, consent
from tests.factories import UserFactory

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 7, 10, 30, tzinfo=LONDON)  # a Monday


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def family(council_model, school_practitioner, caf_admin, health_visitor, health_visiting, social_care, child):
    """Jayden and his sister Mia on a Family CAF: consent from their mother, the assessment, a plan
    action, a review, a team with a lead professional, a referral sent, an unsaved form and a household."""
    mia = services.child_create(
        user=school_practitioner, first_name="Mia", last_name="Smith", date_of_birth=date(2019, 3, 9)
    )
    services.household_record(
        user=school_practitioner,
        child=child,
        adults=[{"full_name": "Kelly Smith", "relationship": "mother", "phone": "07700 900123"}],
    )
    caf = services.caf_start(user=school_practitioner, children=[child, mia])
    consent(caf, school_practitioner, health_visiting, copy_to="Kelly Smith, by post")
    complete(caf, school_practitioner, views_of_child="I want to play for the school team")
    services.assessment_save(
        user=school_practitioner,
        caf=caf,
        entries={caf.threshold_model.indicators.first().sub_domain_id: ("Loves football", "Often late")},
        views_of_child="I want to play for the school team",
        views_of_family="Kelly worries about the rent arrears",
    )
    caf = services.caf_submit(user=school_practitioner, caf=caf)
    services.taf_member_add(user=caf_admin, caf=caf, member=health_visitor, role="Health visitor")
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=health_visitor)
    action = services.plan_action_add(
        user=health_visitor,
        caf=caf,
        need="Sleep",
        action="A bedtime routine with the family",
        agency=health_visiting,
        owner=health_visitor,
        due_on=date(2027, 1, 15),
    )
    services.review_record(
        user=health_visitor,
        caf=caf,
        held_on=timezone.localdate(),
        attendees=[health_visitor],
        summary="Routines are settling at home.",
        progress=[(action, PlanAction.Status.IN_PROGRESS, "Bedtime by eight most nights")],
        decision=Review.Decision.CONTINUE,
        next_review_on=timezone.localdate() + timedelta(weeks=6),
    )
    referral = referral_services.referral_start(user=health_visitor, children=[child], caf=caf)
    referral_services.referral_send(
        user=health_visitor,
        referral=referral,
        concern="Jayden came to school hungry on three days this week.",
        consent=referral_services.CONSENT_GIVEN,
        consent_given_by="Kelly Smith",
        consent_relationship="mother",
        consent_given_on=date(2026, 11, 2),
    )
    FormDraft.objects.create(
        user=health_visitor,
        path=f"/cafs/{caf.pk}/plan/",
        record=caf.record_key,
        data={"action": ["Ask the school about breakfast club"], "csrfmiddlewaretoken": ["x"]},
        saved_at=timezone.now(),
    )
    return {"caf": caf, "mia": mia, "action": action, "referral": referral}


@pytest.fixture
def other_family(council_model, school_practitioner):
    oliver = services.child_create(
        user=school_practitioner, first_name="Oliver", last_name="Other", date_of_birth=date(2015, 1, 2)
    )
    caf = services.caf_start(user=school_practitioner, children=[oliver])
    services.consent_record(
        user=school_practitioner,
        caf=caf,
        agencies=[],
        given_by="Olga Other",
        relationship="mother",
        given_on=date(2026, 11, 2),
        method="signed_form",
    )
    services.assessment_save(
        user=school_practitioner,
        caf=caf,
        entries={},
        views_of_child="Another family's secret",
        views_of_family="",
    )
    return oliver


def _request_for(client, child) -> SubjectAccessRequest:
    response = client.post(
        reverse("caf:subject_access_start_child", args=[child.pk]),
        {
            "requested_by": "Kelly Smith, his mother",
            "requested_on_0": "1",
            "requested_on_1": "12",
            "requested_on_2": "2026",
        },
    )
    sar = SubjectAccessRequest.objects.get(child=child)
    assert response.status_code == 302
    assert response["Location"] == reverse("caf:subject_access_detail", args=[sar.pk])
    return sar


def _export_files(client, sar) -> dict[str, bytes]:
    response = client.get(reverse("caf:subject_access_export", args=[sar.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"subject-access-{sar.pk}-draft.zip" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _export(client, sar) -> dict[str, str]:
    """The export's text files (HTML and CSV); the PDFs beside them are read by `_pdf_text`."""
    files = _export_files(client, sar)
    return {name: content.decode() for name, content in files.items() if not name.endswith(".pdf")}


def _pdf_text(content: bytes) -> str:
    """The text a reader gets out of a PDF (pypdf), spacing aside."""
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_export_holds_every_record_of_the_child_and_nothing_of_another_family(
    family, other_family, caf_admin, signed_in, child
):
    client = signed_in(caf_admin)
    client.get(reverse("caf:child_detail", args=[child.pk]))  # a read, for the access log
    files = _export(client, _request_for(client, child))

    caf, referral = family["caf"], family["referral"]
    assert {"index.html", "child.html", f"caf-{caf.pk}.html", f"referral-{referral.pk}.html"} <= set(files)
    assert {"chronology.csv", "access_log.csv"} <= set(files)
    everything = "\n".join(files.values())
    for held in [
        "Jayden",
        "NB1 2AB",  # the child's details
        "07700 900123",  # the household
        "Kelly Smith",  # consent
        "Kelly Smith, by post",
        "Loves football",  # the assessment
        "Often late",
        "I want to play for the school team",
        "Kelly worries about the rent arrears",
        "A bedtime routine with the family",  # the plan
        "Routines are settling at home.",  # the review
        "Bedtime by eight most nights",
        "Health visitor",  # the team
        "Hannah Okoro",
        "Jayden came to school hungry on three days this week.",  # the referral
        "Ask the school about breakfast club",  # the unsaved form (Settled question 20)
        "Viewed the child&#x27;s record",  # the access log (the HTML escapes; the CSV below does not)
    ]:
        assert held.replace("&#x27;", "'") in everything or held in everything, held
    assert "Another family's secret" not in everything
    assert "Oliver" not in everything
    assert "csrfmiddlewaretoken" not in everything

    log = _csv_rows(files["access_log.csv"])
    assert log[0] == ["When", "Who", "Agency", "Action", "What", "CAF", "Third party"]
    assert ["Colin Adeyemi", "Viewed", "Viewed the child's record"] in [[row[1], row[3], row[4]] for row in log]
    chronology = _csv_rows(files["chronology.csv"])
    whats = [row[1] for row in chronology]
    assert "Assessment submitted: the CAF became active" in whats
    assert "Referral sent to children's social care by Health Visiting North" in whats
    assert "Colin Adeyemi" in files["index.html"]  # exported by


def test_other_peoples_data_is_marked_for_review_never_dropped(family, caf_admin, signed_in, child):
    client = signed_in(caf_admin)
    files = _export(client, _request_for(client, child))
    caf_page = files[f"caf-{family['caf'].pk}.html"]

    # Mia, the sister, is on the Family CAF: there, and marked.
    assert '<mark class="third-party">Mia Smith</mark>' in caf_page
    assert f"[{THIRD_PARTY_LABEL}]" in caf_page
    # The mother who gave consent, and her views, are marked; Jayden's own name in his record is not.
    assert '<mark class="third-party">Kelly Smith</mark>' in caf_page
    assert '<mark class="third-party">Kelly worries about the rent arrears</mark>' in caf_page
    assert '<mark class="third-party">Kelly Smith</mark>' in files["child.html"]  # the household
    assert "<dd>Jayden Smith</dd>" in files["child.html"]
    # The unsaved form is a professional's working notes: marked.
    assert '<mark class="third-party">Ask the school about breakfast club</mark>' in caf_page
    # The index says the records hold third-party data, and that it is a draft.
    assert "holds third-party data" in files["index.html"]
    assert "Draft for the information governance officer" in files["index.html"]

    # In the CSV: a column says which rows name someone else.
    chronology = _csv_rows(files["chronology.csv"])
    consent_rows = [row for row in chronology if row[1].startswith("Consent given by Kelly Smith")]
    assert consent_rows and all(row[3] == THIRD_PARTY_LABEL for row in consent_rows)
    activated = [row for row in chronology if row[1] == "Assessment submitted: the CAF became active"]
    assert activated and activated[0][3] == ""


def test_each_record_is_also_a_pdf_that_reads_as_its_html_does(family, caf_admin, signed_in, child):
    client = signed_in(caf_admin)
    files = _export_files(client, _request_for(client, child))
    caf, referral = family["caf"], family["referral"]
    records = ["child.html", f"caf-{caf.pk}.html", f"referral-{referral.pk}.html"]
    for record in records:
        assert record.replace(".html", ".pdf") in files, record
    assert {name for name in files if name.endswith(".pdf")} == {
        name.replace(".html", ".pdf") for name in files if name.endswith(".html") and name != "index.html"
    }
    # The index links each PDF beside its page.
    assert 'href="child.pdf"' in files["index.html"].decode()

    child_pdf = _pdf_text(files["child.pdf"])
    assert "Jayden Smith's record" in child_pdf
    assert "Draft for the information governance officer" in child_pdf
    assert "NB1 2AB" in child_pdf
    assert f"Kelly Smith [{THIRD_PARTY_LABEL}]" in child_pdf  # the household: marked as on the page

    caf_pdf = _pdf_text(files[f"caf-{caf.pk}.pdf"])
    for held in ["Loves football", "Often late", "A bedtime routine with the family", "Bedtime by eight most nights"]:
        assert held in caf_pdf, held
    # Other people's data is marked the same way as in the HTML: the sister, the mother's views, drafts.
    for marked in ["Mia Smith", "Kelly worries about the rent arrears", "Ask the school about breakfast club"]:
        assert f"{marked} [{THIRD_PARTY_LABEL}]" in caf_pdf, marked
    assert "Jayden came to school hungry on three days this week." in _pdf_text(files[f"referral-{referral.pk}.pdf"])


def test_a_pdf_grows_with_the_record_and_holds_the_name_in_its_uncompressed_text(
    family, caf_admin, signed_in, child, settings
):
    """Without pypdf's reading: with compression off, the page's text stream holds the words (the
    built-in font, which writes text as it is; a TrueType font writes glyph numbers)."""
    from caf.subject_access import RecordDocument
    from caf.subject_access_pdf import record_pdf

    settings.SUBJECT_ACCESS_PDF_FONT = "/nonexistent/font.ttf"
    short = RecordDocument("child.html", "Jayden Smith's record")
    short.section("Details").answer("Name", "Jayden Smith")
    longer = RecordDocument("child.html", "Jayden Smith's record")
    details = longer.section("Details")
    details.answer("Name", "Jayden Smith")
    for number in range(40):
        details.answer(f"Note {number}", "Walked to school with his sister and talked about football. " * 3)
    small = record_pdf(short, caption="Request 1", banner="Draft", compress=False)
    large = record_pdf(longer, caption="Request 1", banner="Draft", compress=False)
    assert small.startswith(b"%PDF-") and b"(Jayden Smith) Tj" in small
    assert len(large) > 2 * len(small)
    # A character the built-in font lacks is a "?", never an error: the HTML beside it is exact.
    odd = RecordDocument("child.html", "Zbigniew Łukasz")
    assert "Zbigniew ?ukasz" in _pdf_text(record_pdf(odd, caption="Request 1", banner="Draft"))


def test_with_the_service_font_every_name_prints_as_typed():
    """The committed font (caf/fonts/), on every machine: no skip when the system lacks it."""
    from caf.subject_access import RecordDocument
    from caf.subject_access_pdf import record_pdf

    document = RecordDocument("child.html", "Zbigniew Łukasz — Ngọc Ánh")
    document.section("Details").answer("Name", "Siobhán Ní Bhriain", third_party=True)
    text = _pdf_text(record_pdf(document, caption="Request 1", banner="Draft"))
    assert "Zbigniew Łukasz — Ngọc Ánh" in text
    assert f"Siobhán Ní Bhriain [{THIRD_PARTY_LABEL}]" in text


def test_csv_cells_never_start_a_formula(family, caf_admin, signed_in, child, early_help_hub):
    assert [csv_safe(text) for text in ["=1+1", "+44 7700", "-2", "@SUM(A1)", "Jayden"]] == [
        "'=1+1",
        "'+44 7700",
        "'-2",
        "'@SUM(A1)",
        "Jayden",
    ]
    hostile = UserFactory(
        full_name='=HYPERLINK("http://evil.example","click")', agency=early_help_hub, roles=[Role.CAF_ADMINISTRATOR]
    )
    signed_in(hostile).get(reverse("caf:child_detail", args=[child.pk]))
    client = signed_in(caf_admin)
    files = _export(client, _request_for(client, child))
    readers = [row[1] for row in _csv_rows(files["access_log.csv"])[1:]]
    assert '\'=HYPERLINK("http://evil.example","click")' in readers
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in _csv_rows(files["access_log.csv"]) for cell in row)


def test_each_download_is_logged_as_an_export_of_the_childs_record(family, caf_admin, signed_in, child):
    client = signed_in(caf_admin)
    sar = _request_for(client, child)
    _export(client, sar)
    _export(client, sar)
    exports = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, user=caf_admin)
    assert exports.count() == 2
    assert all(child.pk in row.child_ids for row in exports)
    expected = f"Exported the record for subject access request {sar.pk} (draft: for the information governance"
    assert exports.first().what.startswith(expected)
    # The child's access log page shows it.
    page = client.get(reverse("caf:child_access_log", args=[child.pk]))
    assert "Exported for subject access" in page.content.decode()


def test_the_release_decision_is_recorded_once_with_who_when_and_why(family, caf_admin, signed_in, child):
    client = signed_in(caf_admin)
    sar = _request_for(client, child)
    decide = reverse("caf:subject_access_decide", args=[sar.pk])

    empty = client.post(decide, {})
    assert empty.status_code == 200
    assert "Choose whether the export is released or withheld" in empty.content.decode()
    assert "govuk-error-summary" in empty.content.decode()
    sar.refresh_from_db()
    assert sar.status == SubjectAccessRequest.Status.DRAFT

    response = client.post(decide, {"status": "released", "reason": "Released with Mia's details redacted."})
    assert response.status_code == 302
    sar.refresh_from_db()
    assert (sar.status, sar.decided_by, sar.decided_at, sar.decision_reason) == (
        SubjectAccessRequest.Status.RELEASED,
        caf_admin,
        NOW,
        "Released with Mia's details redacted.",
    )
    again = client.post(decide, {"status": "withheld", "reason": "Changed my mind."})
    assert "This request was decided on 7 December 2026" in again.content.decode()
    sar.refresh_from_db()
    assert sar.status == SubjectAccessRequest.Status.RELEASED
    page = client.get(reverse("caf:subject_access_detail", args=[sar.pk])).content.decode()
    assert "Released with Mia&#x27;s details redacted." in page
    assert AccessLog.objects.filter(
        user=caf_admin, action=AccessLog.Action.CHANGE, what__startswith="Recorded the subject access decision"
    ).exists()


def test_a_young_persons_request_records_their_competence_and_view(
    council_model, school_practitioner, caf_admin, signed_in
):
    teenager = services.child_create(
        user=school_practitioner, first_name="Tia", last_name="Jones", date_of_birth=date(2012, 2, 1)
    )  # 14
    client = signed_in(caf_admin)
    start = reverse("caf:subject_access_start_child", args=[teenager.pk])
    assert "Was the young person judged competent" in client.get(start).content.decode()
    answers = {"requested_by": "Tia herself", "requested_on_0": "2", "requested_on_1": "12", "requested_on_2": "2026"}
    refused = client.post(start, answers).content.decode()
    assert "Say whether the young person was judged competent to make the request" in refused
    assert "Enter the young person&#x27;s view of the request" in refused
    assert not SubjectAccessRequest.objects.exists()

    client.post(
        start,
        {
            **answers,
            "competent": "yes",
            "competence_note": "She understood what the records are and why she wants them.",
            "young_person_view": "I want to see what the school said about me.",
        },
    )
    sar = SubjectAccessRequest.objects.get(child=teenager)
    assert sar.competent is True
    assert sar.young_person_view == "I want to see what the school said about me."


def test_a_young_childs_request_asks_nothing_of_competence(family, caf_admin, signed_in, child):
    client = signed_in(caf_admin)
    assert (
        "judged competent"
        not in client.get(reverse("caf:subject_access_start_child", args=[child.pk])).content.decode()
    )
    sar = _request_for(client, child)
    assert (sar.competent, sar.young_person_view) == (None, "")


def test_bad_input_is_shown_on_the_form_never_a_500(family, caf_admin, signed_in, child):
    client = signed_in(caf_admin)
    start = reverse("caf:subject_access_start_child", args=[child.pk])
    for answers in [
        {},
        {"requested_by": "x" * 500, "requested_on_0": "31", "requested_on_1": "2", "requested_on_2": "2026"},
        {"requested_by": "Kelly", "requested_on_0": "1", "requested_on_1": "1", "requested_on_2": "9999"},
        {"requested_by": "Kelly", "requested_on_0": "1", "requested_on_1": "1", "requested_on_2": "2020"},
    ]:
        response = client.post(start, answers)
        assert response.status_code == 200
        assert "govuk-error-summary" in response.content.decode()
    assert not SubjectAccessRequest.objects.exists()


def test_an_adult_is_found_among_the_consenting_people_and_their_records_exported(
    family, other_family, caf_admin, signed_in
):
    client = signed_in(caf_admin)
    found = client.get(reverse("caf:subject_access_requests"), {"name": "kelly"}).content.decode()
    assert "Kelly Smith (mother), on 1 CAF" in found
    start = reverse("caf:subject_access_start_adult") + "?adult=Kelly%20Smith"
    assert client.get(start).status_code == 200
    response = client.post(
        start, {"requested_by": "Kelly Smith", "requested_on_0": "1", "requested_on_1": "12", "requested_on_2": "2026"}
    )
    sar = SubjectAccessRequest.objects.get(adult_name="Kelly Smith")
    assert response["Location"] == reverse("caf:subject_access_detail", args=[sar.pk])
    files = _export(client, sar)
    assert "adult.html" in files
    adult = files["adult.html"]
    assert "<td>07700 900123</td>" in adult  # her own details: not marked
    assert '<mark class="third-party">Jayden Smith</mark>' in adult  # her child: someone else's data
    caf_page = files[f"caf-{family['caf'].pk}.html"]
    assert '<mark class="third-party">Jayden Smith</mark>' in caf_page
    assert "<dd>Kelly Smith</dd>" in caf_page  # the consent she gave: hers
    assert "Another family's secret" not in "\n".join(files.values())
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, child_ids__contains=[family["mia"].pk]).exists()
    # Nobody of a name that gave no consent.
    assert client.get(reverse("caf:subject_access_start_adult") + "?adult=Nobody%20Atall").status_code == 404


def test_an_adult_picked_from_the_childs_family_gets_that_familys_records_never_a_namesakes(
    family, other_family, caf_admin, signed_in, child
):
    from caf.models import Consent

    # Another Kelly Smith, who gave consent on Oliver's CAF in another family.
    other_caf = Consent.objects.get(given_by="Olga Other").caf
    Consent.objects.filter(caf=other_caf).update(given_by="Kelly  smith")
    client = signed_in(caf_admin)
    page = client.get(reverse("caf:child_subject_access", args=[child.pk])).content.decode()
    assert "Record a request from Kelly Smith" in page
    start = reverse("caf:subject_access_start_adult") + f"?adult=Kelly+Smith&family={child.pk}"
    assert f'?adult=Kelly%20Smith&amp;family={child.pk}"' in page
    assert "Kelly Smith, of Jayden Smith's family" in client.get(start).content.decode()
    response = client.post(
        start, {"requested_by": "Kelly Smith", "requested_on_0": "1", "requested_on_1": "12", "requested_on_2": "2026"}
    )
    sar = SubjectAccessRequest.objects.get(adult_name="Kelly Smith")
    assert response["Location"] == reverse("caf:subject_access_detail", args=[sar.pk])
    assert sar.family_child == child and sar.child is None
    files = _export(client, sar)
    assert f"caf-{family['caf'].pk}.html" in files
    assert f"caf-{other_caf.pk}.html" not in files
    assert "Another family's secret" not in "\n".join(files.values())
    detail = client.get(reverse("caf:subject_access_detail", args=[sar.pk])).content.decode()
    assert "that family's records only" in detail

    # Found by name across the council instead, both Kelly Smiths' records are in (the officer checks).
    wide = services.subject_access_request_start(
        user=caf_admin, adult_name="Kelly Smith", requested_by="Kelly Smith", requested_on=date(2026, 12, 1)
    )
    assert f"caf-{other_caf.pk}.html" in _export(client, wide)

    # A name not of the family, a family that does not exist or a malformed one: nothing.
    adult_start = reverse("caf:subject_access_start_adult")
    assert client.get(f"{adult_start}?adult=Olga+Other&family={child.pk}").status_code == 404
    assert client.get(f"{adult_start}?adult=Kelly+Smith&family=999999").status_code == 404
    assert client.get(f"{adult_start}?adult=Kelly+Smith&family=x").status_code == 404


def test_the_familys_adults_include_who_asked_for_an_exclusion(family, child, caf_admin, social_care):
    from caf.models import FamilyExclusion
    from caf.selectors.subject_access import family_adults

    assert family_adults(child) == ["Kelly Smith"]
    FamilyExclusion.objects.create(caf=family["caf"], agency=social_care, made_by="Ron  Smith", recorded_by=caf_admin)
    assert family_adults(child) == ["Kelly Smith", "Ron Smith"]
    assert family_adults(family["mia"]) == ["Kelly Smith", "Ron Smith"]  # the same family


def test_the_export_runs_a_fixed_number_of_queries_whatever_the_records(family, caf_admin, health_visitor, child):
    sar = services.subject_access_request_start(
        user=caf_admin, child=child, requested_by="Kelly Smith", requested_on=date(2026, 12, 1)
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            services.subject_access_export(user=caf_admin, request=sar)
        return len(captured)

    queries()  # the first fills the process's caches (permissions, content types)
    before = queries()
    caf = family["caf"]
    for number in range(5):
        services.plan_action_add(
            user=health_visitor,
            caf=caf,
            need=f"Need {number}",
            action=f"Action {number}",
            agency=family["action"].agency,
            owner=health_visitor,
            due_on=date(2027, 1, 15),
        )
        services.review_record(
            user=health_visitor,
            caf=caf,
            held_on=timezone.localdate(),
            attendees=[health_visitor],
            summary=f"Review {number}",
            progress=[(open_action, PlanAction.Status.IN_PROGRESS, "Going") for open_action in caf.actions.all()],
            decision=Review.Decision.CONTINUE,
            next_review_on=timezone.localdate() + timedelta(weeks=6),
        )
    assert queries() == before


# Refusals ---------------------------------------------------------------------------------------------


def _pages(sar, child) -> list[tuple[str, str]]:
    return [
        ("get", reverse("caf:child_subject_access", args=[child.pk])),
        ("get", reverse("caf:subject_access_start_child", args=[child.pk])),
        ("post", reverse("caf:subject_access_start_child", args=[child.pk])),
        ("get", reverse("caf:subject_access_detail", args=[sar.pk])),
        ("get", reverse("caf:subject_access_export", args=[sar.pk])),
        ("get", reverse("caf:subject_access_decide", args=[sar.pk])),
        ("post", reverse("caf:subject_access_decide", args=[sar.pk])),
    ]


def _refused_everywhere(client, sar, child, status: int) -> None:
    for method, path in _pages(sar, child):
        response = getattr(client, method)(path, {"status": "released", "reason": "x"} if method == "post" else {})
        assert response.status_code == status, (method, path, response.status_code)
    sar.refresh_from_db()
    assert sar.status == SubjectAccessRequest.Status.DRAFT
    assert SubjectAccessRequest.objects.count() == 1
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


@pytest.fixture
def sar(family, caf_admin, child):
    return services.subject_access_request_start(
        user=caf_admin, child=child, requested_by="Kelly Smith", requested_on=date(2026, 12, 1)
    )


def test_a_practitioner_who_sees_the_child_is_refused(sar, child, school_practitioner, signed_in):
    _refused_everywhere(signed_in(school_practitioner), sar, child, 403)
    assert AccessLog.objects.filter(user=school_practitioner, action=AccessLog.Action.REFUSED).exists()


def test_another_councils_staff_find_nothing(sar, child, other_council_user, other_council_admin, signed_in):
    _refused_everywhere(signed_in(other_council_user), sar, child, 404)
    other_admin = UserFactory(agency=other_council_user.agency, roles=[Role.CAF_ADMINISTRATOR])
    _refused_everywhere(signed_in(other_admin), sar, child, 404)
    assert signed_in(other_admin).get(reverse("caf:subject_access_requests")).status_code == 200
    assert "Jayden" not in signed_in(other_admin).get(reverse("caf:subject_access_requests")).content.decode()


def test_an_administrator_the_family_excluded_exports_nothing(sar, family, child, caf_admin, early_help_hub, signed_in):
    excluded = UserFactory(full_name="Xena Coordinator", agency=early_help_hub, roles=[Role.CAF_ADMINISTRATOR])
    services.exclusion_record(user=caf_admin, caf=family["caf"], made_by="Kelly Smith", people=[excluded])
    client = signed_in(excluded)
    _refused_everywhere(client, sar, child, 404)
    # Nor the mother's records, as an adult's request; nor does the list or the search show the family.
    adult = services.subject_access_request_start(
        user=caf_admin, adult_name="Kelly Smith", requested_by="Kelly Smith", requested_on=date(2026, 12, 1)
    )
    assert client.get(reverse("caf:subject_access_export", args=[adult.pk])).status_code == 403
    assert client.get(reverse("caf:subject_access_start_adult") + "?adult=Kelly%20Smith").status_code == 403
    listing = client.get(reverse("caf:subject_access_requests"), {"name": "Kelly"}).content.decode()
    assert "Jayden" not in listing
    assert "Nobody of that name gave consent" in listing
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_anonymous_visitors_are_sent_to_sign_in(sar, child, client):
    for method, path in [*_pages(sar, child), ("get", reverse("caf:subject_access_requests"))]:
        response = getattr(client, method)(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_council_list_is_for_caf_administrators_only(sar, school_practitioner, council_admin, signed_in):
    for user in (school_practitioner, council_admin):
        assert signed_in(user).get(reverse("caf:subject_access_requests")).status_code == 404
    assert AccessLog.objects.filter(user=council_admin, action=AccessLog.Action.REFUSED).exists()


def test_the_caf_administrators_home_page_links_to_the_requests(caf_admin, school_practitioner, signed_in):
    link = f'href="{reverse("caf:subject_access_requests")}"'
    assert link in signed_in(caf_admin).get("/").content.decode()
    assert link not in signed_in(school_practitioner).get("/").content.decode()
