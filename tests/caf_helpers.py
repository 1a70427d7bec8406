"""Building CAFs through the services, for tests."""

from datetime import date

from caf import services


def consent(caf, user, *agencies, given_on=date(2026, 11, 2), **extra):
    return services.consent_record(
        user=user,
        caf=caf,
        agencies=agencies,
        given_by="Kelly Smith",
        relationship="mother",
        given_on=given_on,
        method="signed_form",
        explained_storage=True,
        explained_sharing=True,
        **extra,
    )


def complete(caf, user, level_code="2", views_of_child="I want to play for the school team"):
    """The assessment, and for each child the truanting indicator and a level (2, or another with a reason)."""
    sub_domain_id = caf.threshold_model.indicators.first().sub_domain_id
    services.assessment_save(
        user=user, caf=caf, entries={sub_domain_id: ("Loves football", "Often late")}, views_of_child=views_of_child
    )
    for caf_child in caf.caf_children.all():
        services.child_indicators_set(
            user=user,
            caf_child=caf_child,
            indicators=caf.threshold_model.indicators.filter(text="Occasional truanting or non-attendance"),
        )
        caf_child.refresh_from_db()
        services.child_level_set(
            user=user,
            caf_child=caf_child,
            level=caf.threshold_model.levels.get(code=level_code),
            reason="" if level_code == "2" else "The family's situation is worse than it looks",
        )


def active_caf(user, child, *agencies, given_on=date(2026, 11, 2)):
    """A CAF for the child, consented (covering the agencies), assessed and submitted by the user."""
    caf = services.caf_start(user=user, children=[child])
    consent(caf, user, *agencies, given_on=given_on)
    complete(caf, user)
    return services.caf_submit(user=user, caf=caf)
