"""The permission matrix (issue 11; Settled question 27): a committed, hand-written table of what each
person may do on every page of the service, by URL group x relation to the record, read from the
README ("CAF records": "Who sees what", "The family's exclusions beat every grant", "Who may do
what"; "Step-up and step-down": "Who sees what"). Never computed from the policies it tests.

tests/test_permission_matrix.py runs it against one scene (see its `build_scene`) and checks that
every URL pattern of the service has an entry here, and that nothing here is stale.

The people (relations), each signed in with their own client. Relations are to the family's
records (one child, Jayden, with an active CAF, an active CAF without a lead professional, a draft
CAF, a closed CAF and one closed 13 months ago, referral R sent from the active CAF, and step-down S made from it):

    INI  initiator: the school's safeguarding lead who started every CAF of the family; a TAF member
         of the active CAF (the first member), no longer the one who holds it once a lead
         professional is logged
    MEM  current TAF member (health visitor), owner of action A of the plan; a member of the
         closed CAF and of the CAF without a lead too
    MAG  a colleague of MEM in health visiting, on no team (their agency is involved)
    FMB  former member: a youth worker added to the active CAF, then removed (agency no longer involved)
    LPR  current lead professional of the active CAF (family support); last lead of the closed CAF
    FLP  former lead professional of the active CAF (school nursing), replaced but still a member;
         the referrer of R
    SAG  same agency as the initiator (school), on no team
    XPE  excluded by name by the family: school staff, a member of the active CAF until excluded
    XAG  of an agency the family excluded (family mediation): a member until the exclusion
    XAD  a CAF administrator the family excluded by name
    OAG  other agency (police), never involved
    CAD  the council's CAF administrator
    CNA  the council's council administrator (early help hub, no other role)
    SMb  social care manager (front door) before R is sent (R is a draft)
    SWb  social worker before R is sent
    SMa  social care manager after R is sent
    SWa  social worker after R is sent (not allocated)
    OCU  practitioner of another council
    OCA  council administrator of another council
    ANO  anonymous

Cells: 200 / 302 exact; 403 refused but may see the record; 404 may not see it (for both, a
signed-in person's attempt must be in the access log as "refused", unless the group says it is not
about a child's record: "every refused attempt" of the README's access log); 400 a request that
names nothing it may act on; 405 method not allowed; "ok" allowed (200 or 302: an empty POST either
re-renders the form with its errors or, for a confirm-only form, does what the button says); "in" a
redirect to the sign-in page; "--" an
impossible pair, listed and not run (see IMPOSSIBLE); "." not run on a page about no one record,
where only the role changes the answer (see ROLE_ONLY and REPRESENTATIVES).

Every refused POST (and every allowed POST that does not redirect) must leave the records unchanged
(the test compares a fingerprint of the CAF, consent, team, plan, review, referral, step-down and
exclusion tables, rows and contents, before and after). Each cell runs in a savepoint that is
rolled back, so an allowed POST never changes the scene for the next cell.
"""

RELATIONS = (
    "INI",
    "MEM",
    "MAG",
    "FMB",
    "LPR",
    "FLP",
    "SAG",
    "XPE",
    "XAG",
    "XAD",
    "OAG",
    "CAD",
    "CNA",
    "SMb",
    "SWb",
    "SMa",
    "SWa",
    "OCU",
    "OCA",
    "ANO",
)
# Social care before the referral is sent: the scene's first phase. Everyone else: the second.
BEFORE_REFERRAL = ("SMb", "SWb")

# group: (section, whether a 403 or 404 there is a refused attempt on a child's record that the access log
# must show). A section is one test: one scene, built once, for all its groups.
GROUPS = {
    "active: view": ("active CAF", True),
    "active: team": ("active CAF", True),
    "active: leave the team": ("active CAF", True),
    "active: consent and exclusions": ("active CAF", True),
    "active: lead professional only": ("active CAF", True),
    "active: plan": ("active CAF", True),
    "active: own action": ("active CAF", True),
    "active: CAF administrator": ("active CAF", True),
    "active: close": ("active CAF", True),
    "active: draft steps": ("active CAF", True),
    "active: submitted page": ("active CAF", True),
    "active: refer with the CAF": ("active CAF", True),
    "active: duty to share": ("active CAF", True),
    "draft: view": ("other CAFs of the family, child record", True),
    "draft: initiator": ("other CAFs of the family, child record", True),
    "no lead: view": ("other CAFs of the family, child record", True),
    "no lead: consent and exclusions": ("other CAFs of the family, child record", True),
    "no lead: team": ("other CAFs of the family, child record", True),
    "no lead: plan": ("other CAFs of the family, child record", True),
    "no lead: initiator": ("other CAFs of the family, child record", True),
    "no lead: assessment": ("other CAFs of the family, child record", True),
    "no lead: close": ("other CAFs of the family, child record", True),
    "no lead: CAF administrator": ("other CAFs of the family, child record", True),
    "closed: view": ("other CAFs of the family, child record", True),
    "closed 13 months ago: view": ("other CAFs of the family, child record", True),
    "closed: plan": ("other CAFs of the family, child record", True),
    "closed: consent": ("other CAFs of the family, child record", True),
    "closed: exclusions": ("other CAFs of the family, child record", True),
    "closed: reopen": ("other CAFs of the family, child record", True),
    "child: record": ("other CAFs of the family, child record", True),
    "child: access log": ("other CAFs of the family, child record", True),
    "child: merge": ("other CAFs of the family, child record", True),
    "child: legal hold": ("other CAFs of the family, child record", True),
    "child: social care stage": ("other CAFs of the family, child record", True),
    "child: break-glass": ("other CAFs of the family, child record", True),
    "child: review a break-glass use": ("other CAFs of the family, child record", True),
    "child: possible duplicate": ("other CAFs of the family, child record", True),
    "child: not the same child": ("other CAFs of the family, child record", True),
    "child: start a CAF or refer": ("other CAFs of the family, child record", True),
    "child: subject access pages": ("other CAFs of the family, child record", True),
    "child: subject access forms": ("other CAFs of the family, child record", True),
    "adult: subject access pages": ("other CAFs of the family, child record", True),
    "adult: subject access decision": ("other CAFs of the family, child record", True),
    "child: subject access, its adult": ("other CAFs of the family, child record", True),
    "referral: view": ("referral and step-down", True),
    "referral: the front-door call": ("referral and step-down", True),
    "referral: check your answers": ("referral and step-down", True),
    "referral: claim": ("referral and step-down", True),
    "referral: decide": ("referral and step-down", True),
    "step-down: send": ("referral and step-down", True),
    "step-down: view": ("referral and step-down", True),
    "step-down: pick up or decline": ("referral and step-down", True),
    "queue: CAFs": ("lists, own account, council administration", True),
    "queue: front door": ("lists, own account, council administration", True),
    "queue: pick-up": ("lists, own account, council administration", True),
    "queue: possible duplicates": ("lists, own account, council administration", True),
    "queue: break-glass reviews": ("lists, own account, council administration", True),
    "queue: sharing decisions": ("lists, own account, council administration", True),
    "queue: break-glass elsewhere": ("lists, own account, council administration", True),
    "queue: subject access": ("lists, own account, council administration", True),
    "queue: subject access, adult": ("lists, own account, council administration", True),
    "queue: actions": ("lists, own account, council administration", True),
    "queue: referrals": ("lists, own account, council administration", True),
    # Monthly counts, no child's record on the page.
    "queue: step-down figures": ("lists, own account, council administration", False),
    # The council's figures and their CSV downloads: aggregate counts, no child's record on the page.
    "queue: council figures": ("lists, own account, council administration", False),
    "queue: councils compared": ("lists, own account, council administration", False),
    # A council's monthly total of referrals from its own social care return: no child's record.
    "queue: social care return": ("lists, own account, council administration", False),
    "children: find": ("lists, own account, council administration", True),
    "children: record a new child": ("lists, own account, council administration", True),
    "account: own pages": ("lists, own account, council administration", False),
    "account: own pages, GET only": ("lists, own account, council administration", False),
    "account: mark all read": ("lists, own account, council administration", False),
    # Only the person's own draft, by its form's address: not a child's record.
    "account: discard a draft": ("lists, own account, council administration", False),
    "account: autosave a draft": ("lists, own account, council administration", False),
    "account: session time left": ("lists, own account, council administration", False),
    "account: stay signed in": ("lists, own account, council administration", False),
    "account: end a session": ("lists, own account, council administration", False),
    # One's own second factor (issue 15): nobody in the scene has one, so its pages go back to the overview.
    "account: own second factor": ("lists, own account, council administration", False),
    # Someone else's notification: not a child's record.
    "account: mark one read": ("lists, own account, council administration", False),
    "account: e-mail change link": ("lists, own account, council administration", False),
    "thresholds: guide": ("lists, own account, council administration", False),
    # Threshold models: the council's configuration, not a child's record.
    "council admin: versions": ("lists, own account, council administration", False),
    "council admin: start a draft": ("lists, own account, council administration", False),
    "council admin: a version": ("lists, own account, council administration", False),
}

# fmt: off
TABLE = """
group                            method INI MEM MAG FMB LPR FLP SAG XPE XAG XAD OAG CAD CNA SMb SWb SMa SWa OCU OCA ANO

# The active CAF. Sees it (README "Who may do what", first row): the initiator, current members and
# their agencies, the CAF administrators; children's social care once a referral is sent with it.
# Never FMB (left, agency no longer involved), XPE/XAG/XAD (the family's deny beats every grant).
active: view                     GET    200 200 200 404 200 200 200 404 404 404 404 200 404 404 404 200 200 404 404 in
active: view                     POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
# Manage the team: the lead professional or a CAF administrator (the initiator only until a lead is logged).
active: team                     GET    200 200 200 404 200 200 200 404 404 404 404 200 404 404 404 200 200 404 404 in
active: team                     POST   403 403 403 404 ok  403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# Removing MEM's membership: as the team, and MEM leaving (README silent on leaving; the service lets a
# member leave, which is sensible).
active: leave the team           GET    403 200 403 404 200 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
active: leave the team           POST   403 ok  403 404 ok  403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# Record or withdraw consent, record or lift an exclusion, of an active CAF: the lead professional, a CAF
# administrator (the initiator only until a lead is logged).
active: consent and exclusions   GET    403 403 403 404 200 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
active: consent and exclusions   POST   403 403 403 404 ok  403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# A share under the duty to share (s.16LA, issue 15): as consent and exclusions, once the council says the
# duty is in force; the scene's council has not, so whoever may see the CAF is refused (403).
active: duty to share            GET    403 403 403 404 403 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
active: duty to share            POST   403 403 403 404 403 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
# The assessment, indicators and levels of an active CAF; record reviews, move the review date: the lead
# professional only (not the CAF administrator).
active: lead professional only   GET    403 403 403 404 200 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
active: lead professional only   POST   403 403 403 404 ok  403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
# The plan: everyone who sees the CAF reads it; the lead professional changes it.
active: plan                     GET    200 200 200 404 200 200 200 404 404 404 404 200 404 404 404 200 200 404 404 in
active: plan                     POST   403 403 403 404 ok  403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
# Update one action (A, MEM's): as the plan, and its owner while a current member.
active: own action               GET    403 200 403 404 200 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
active: own action               POST   403 ok  403 404 ok  403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
# Register, log the lead professional: a CAF administrator of the council.
active: CAF administrator        GET    403 403 403 404 403 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
active: CAF administrator        POST   403 403 403 404 403 403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# Close by hand: the lead professional or a CAF administrator.
active: close                    GET    403 403 403 404 200 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
active: close                    POST   403 403 403 404 ok  403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# The safeguarding override is the initiator's, of a draft: nobody's on an active CAF.
active: draft steps              GET    403 403 403 404 403 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
active: draft steps              POST   403 403 403 404 403 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
# /submit/ of an active CAF: the "CAF submitted" page the initiator's submission redirects to (README
# silent on that page; the view renders it for the initiator); submitting again is nobody's: the
# initiator's POST goes back to the CAF's page, changing nothing (README silent; sensible).
active: submitted page           GET    200 403 403 404 403 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
active: submitted page           POST   302 403 403 404 403 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
# Refer with the CAF attached: the lead professional (the initiator until a lead is logged); "anyone else
# refers from the child's record".
active: refer with the CAF       GET    403 403 403 404 200 403 403 404 404 404 404 403 404 404 404 403 403 404 404 in
active: refer with the CAF       POST   403 403 403 404 ok  403 403 404 404 404 404 403 404 404 404 403 403 404 404 in

# The draft CAF (the initiator's, for the same child, started after the active one). A draft has no team:
# MEM, FMB, LPR, FLP have no relation to it, and their agencies are not involved. Seen by its initiator,
# the initiating agency (SAG) and the CAF administrators; the family's exclusions are carried to it.
draft: view                      GET    200 404 404 404 404 404 200 404 404 404 404 200 404 404 404 404 404 404 404 in
draft: view                      POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
# Consent, assessment, levels, submit, safeguarding override of a draft: its initiator only.
draft: initiator                 GET    200 404 404 404 404 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
draft: initiator                 POST   ok  404 404 404 404 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in

# The CAF without a lead professional (the initiator's, for the same child; MEM a member; no lead logged
# yet). Seen by INI, MEM, MAG, SAG and the CAF administrators; LPR and FLP have no relation to it, and
# social care was sent another CAF, not this one. "The initiator until a lead is logged": consent,
# exclusions, the team, the plan, reviews and referring with the CAF; never the assessment of an active
# CAF (the lead professional's) nor closing it (the lead professional or a CAF administrator).
no lead: view                    GET    200 200 200 404 404 404 200 404 404 404 404 200 404 404 404 404 404 404 404 in
no lead: view                    POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
no lead: consent and exclusions  GET    200 403 403 404 404 404 403 404 404 404 404 200 404 404 404 404 404 404 404 in
no lead: consent and exclusions  POST   ok  403 403 404 404 404 403 404 404 404 404 ok  404 404 404 404 404 404 404 in
no lead: team                    GET    200 200 200 404 404 404 200 404 404 404 404 200 404 404 404 404 404 404 404 in
no lead: team                    POST   ok  403 403 404 404 404 403 404 404 404 404 ok  404 404 404 404 404 404 404 in
no lead: plan                    GET    200 200 200 404 404 404 200 404 404 404 404 200 404 404 404 404 404 404 404 in
no lead: plan                    POST   ok  403 403 404 404 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
no lead: initiator               GET    200 403 403 404 404 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
no lead: initiator               POST   ok  403 403 404 404 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
no lead: assessment              GET    403 403 403 404 404 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
no lead: assessment              POST   403 403 403 404 404 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
no lead: close                   GET    403 403 403 404 404 404 403 404 404 404 404 200 404 404 404 404 404 404 404 in
no lead: close                   POST   403 403 403 404 404 404 403 404 404 404 404 ok  404 404 404 404 404 404 404 in
no lead: CAF administrator       GET    403 403 403 404 404 404 403 404 404 404 404 200 404 404 404 404 404 404 404 in
no lead: CAF administrator       POST   403 403 403 404 404 404 403 404 404 404 404 ok  404 404 404 404 404 404 404 in

# The closed CAF (the initiator's; MEM a member; LPR its last lead professional; closed as needs met).
# Seen by INI, MEM, MAG (agency of a member), LPR, SAG (initiating agency) and the CAF administrators.
closed: view                     GET    200 200 200 404 200 404 200 404 404 404 404 200 404 404 404 404 404 404 404 in
closed: view                     POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
# Settled question 12: the team's read access (the initiator's included) ends the council's period after
# closure (12 months by default); then only the CAF administrators see it, and the child's chronology
# names it for the others.
closed 13 months ago: view       GET    404 404 404 404 404 404 404 404 404 404 404 200 404 404 404 404 404 404 404 in
closed 13 months ago: view       POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
# "a closed CAF takes no consent, indicators, levels or plan changes".
closed: plan                     GET    200 200 200 404 200 404 200 404 404 404 404 200 404 404 404 404 404 404 404 in
closed: plan                     POST   403 403 403 404 403 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
closed: consent                  GET    403 403 403 404 403 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
closed: consent                  POST   403 403 403 404 403 404 403 404 404 404 404 403 404 404 404 404 404 404 404 in
# Record an exclusion after closure: a CAF administrator.
closed: exclusions               GET    403 403 403 404 403 404 403 404 404 404 404 200 404 404 404 404 404 404 404 in
closed: exclusions               POST   403 403 403 404 403 404 403 404 404 404 404 ok  404 404 404 404 404 404 404 in
# Reopen: its last lead professional, a CAF administrator, or its initiator while they still see it.
closed: reopen                   GET    200 403 403 404 200 404 403 404 404 404 404 200 404 404 404 404 404 404 404 in
closed: reopen                   POST   ok  403 403 404 ok  404 403 404 404 404 404 ok  404 404 404 404 404 404 404 in

# The child's record: who may see one of the child's CAFs, the CAF administrators, whoever recorded the
# child (INI), children's social care once the child is referred; never anyone the family excluded from
# any of the family's CAFs (a named CAF administrator too).
child: record                    GET    200 200 200 404 200 200 200 404 404 404 404 200 404 404 404 200 200 404 404 in
child: record                    POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
# The access log and merging records: a CAF administrator of the council; refused (403) to the others
# who may see the child.
child: access log                GET    403 403 403 404 403 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
child: access log                POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
child: merge                     GET    403 403 403 404 403 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
child: merge                     POST   403 403 403 404 403 403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# Place or lift a legal hold (retention): the council's CAF administrators only, as the merge; the
# family's exclusion of a CAF administrator by name binds them here too (XAD).
child: legal hold                GET    403 403 403 404 403 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
child: legal hold                POST   403 403 403 404 403 403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# Record a social care stage the child reached (retention): the council's social care managers who see
# the child (SMa, once R is sent); refused (403) to the others who may see the child, a CAF
# administrator included.
child: social care stage         GET    403 403 403 404 403 403 403 404 404 404 404 403 404 404 404 200 403 404 404 in
child: social care stage         POST   403 403 403 404 403 403 403 404 404 404 404 403 404 404 404 ok  403 404 404 in
# Break-glass (issue 15): the scene's council lists no role or agency, so whoever may see Jayden's record
# is sent to it, and the council's other staff are shown the out-of-hours number (403, logged); another
# council's staff find nothing.
child: break-glass               GET    302 302 302 403 302 302 302 403 403 403 403 302 403 403 403 302 302 404 404 in
child: break-glass               POST   302 302 302 403 302 302 302 403 403 403 403 302 403 403 403 302 302 404 404 in
# A police duty officer's use, waiting for review: with no manager and no early help lead named, the
# council's CAF administrators review it; never one the family excluded by name (XAD).
child: review a break-glass use  GET    404 404 404 404 404 404 404 404 404 404 404 200 404 404 404 404 404 404 404 in
child: review a break-glass use  POST   404 404 404 404 404 404 404 404 404 404 404 ok  404 404 404 404 404 404 404 in
# A possible duplicate pair (issue 14: Jayden and a second record the initiator made): as merging.
child: possible duplicate        GET    403 403 403 404 403 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
child: possible duplicate        POST   403 403 403 404 403 403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
child: not the same child        GET    405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
child: not the same child        POST   403 403 403 404 403 403 403 404 404 404 404 302 404 404 404 403 403 404 404 in
# Start a CAF, or refer from the child's record: whoever may see the child (or found them in a search;
# these sessions searched for nothing). README silent on social care starting a CAF or referring; the
# service lets any of the council's staff, which is sensible.
child: start a CAF or refer      GET    200 200 200 404 200 200 200 404 404 404 404 200 404 404 404 200 200 404 404 in
child: start a CAF or refer      POST   ok  ok  ok  404 ok  ok  ok  404 404 404 404 ok  404 404 404 ok  ok  404 404 in
# Subject access (issue 15): a request about Jayden (its page, the draft export, the child's list of
# requests; recording a request and the release decision): a CAF administrator of the council whom the
# family has not excluded (Settled question 16: XAD, excluded by name, finds nothing); refused (403) to the
# others who may see the child, as the access log.
child: subject access pages      GET    403 403 403 404 403 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
child: subject access pages      POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
child: subject access forms      GET    403 403 403 404 403 403 403 404 404 404 404 200 404 404 404 403 403 404 404 in
child: subject access forms      POST   403 403 403 404 403 403 403 404 404 404 404 ok  404 404 404 403 403 404 404 in
# A request about Kelly Smith, the mother who gave consent (an adult): the council's CAF administrators;
# refused to the council's other staff, and to XAD (the family excluded them from the CAFs she is on);
# another council's staff find nothing.
adult: subject access pages      GET    403 403 403 403 403 403 403 403 403 403 403 200 403 403 403 403 403 404 404 in
adult: subject access pages      POST   405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
adult: subject access decision   GET    403 403 403 403 403 403 403 403 403 403 403 200 403 403 403 403 403 404 404 in
adult: subject access decision   POST   403 403 403 403 403 403 403 403 403 403 403 ok  403 403 403 403 403 404 404 in
# A request about Kelly Smith picked from Jayden's family (that family's records only): the council's
# CAF administrators who see Jayden; 404 to everyone else (the subject access pages are not shown to
# other staff at all), XAD included (excluded from Jayden's family).
child: subject access, its adult GET    404 404 404 404 404 404 404 404 404 404 404 200 404 404 404 404 404 404 404 in
child: subject access, its adult POST   404 404 404 404 404 404 404 404 404 404 404 ok  404 404 404 404 404 404 404 in

# Referral R (from the active CAF, sent with consent by FLP when FLP was lead professional). Sees it: its
# referrer, the front door once sent, other children's social care staff unless excluded, the CAF's lead
# professional. "Other practitioners, even on the TAF, ... see nothing (404)". Before sending it is a
# draft: social care sees nothing. A POST to a sent referral's page has nothing to do: back to the page.
referral: view                   GET    404 404 404 404 200 200 404 404 404 404 404 404 404 404 404 200 200 404 404 in
referral: view                   POST   404 404 404 404 302 302 404 404 404 404 404 404 404 404 404 302 302 404 404 in
# Check your answers before sending (issue 14): read through the same selector as the referral's page, so
# the same people see it; R is sent, so there is nothing to check or send: back to the referral.
referral: check your answers     GET    404 404 404 404 302 302 404 404 404 404 404 404 404 404 404 302 302 404 404 in
referral: check your answers     POST   404 404 404 404 302 302 404 404 404 404 404 404 404 404 404 302 302 404 404 in
# The immediate-risk call is the referrer's (R is sent: back to the referral); refused to the others
# who may see R.
referral: the front-door call    GET    404 404 404 404 403 302 404 404 404 404 404 404 404 404 404 403 403 404 404 in
referral: the front-door call    POST   404 404 404 404 403 302 404 404 404 404 404 404 404 404 404 403 403 404 404 in
# Claim and decide: the front door (social care managers).
referral: claim                  GET    405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 405 in
referral: claim                  POST   404 404 404 404 403 403 404 404 404 404 404 404 404 404 404 ok  403 404 404 in
referral: decide                 GET    404 404 404 404 403 403 404 404 404 404 404 404 404 404 404 200 403 404 404 in
referral: decide                 POST   404 404 404 404 403 403 404 404 404 404 404 404 404 404 404 ok  403 404 404 in
# Step down after social care's work (from R, or from the active CAF): children's social care only. The
# page is social care's, so anyone else is refused (403) before any record is looked up; social care who
# may not see R or the CAF yet: 404.
step-down: send                  GET    403 403 403 403 403 403 403 403 403 403 403 403 403 404 404 200 200 403 403 in
step-down: send                  POST   403 403 403 403 403 403 403 403 403 403 403 403 403 404 404 ok  ok  403 403 in

# Step-down S (the front door's decision on a second referral from the active CAF; waiting). See: the
# council's CAF administrators (not one the family named) and children's social care; pick up or decline:
# "only CAF administrators pick up". Social care before any referral: impossible (S follows one).
step-down: view                  GET    404 404 404 404 404 404 404 404 404 404 404 200 404 --  --  200 200 404 404 in
step-down: view                  POST   405 405 405 405 405 405 405 405 405 405 405 405 405 --  --  405 405 405 405 in
step-down: pick up or decline    GET    404 404 404 404 404 404 404 404 404 404 404 200 404 --  --  403 403 404 404 in
step-down: pick up or decline    POST   404 404 404 404 404 404 404 404 404 404 404 ok  404 --  --  403 403 404 404 in

# Pages about no one record: only the role changes the answer (Settled question 27), so "." marks a
# relation not run there, whose answer is its role's: INI runs for every practitioner, CAD for the CAF
# administrators, SMa and SWa for social care. A page about one person's own record (MEM's e-mail change
# link, CAD's notification) runs its owner too.
# Every signed-in person has their list of CAFs, searched and filtered by a GET form: a POST to it is
# not allowed (405). The front door: social care managers. The pick-up queue: CAF administrators. The
# figures: CAF administrators and social care managers.
queue: CAFs                      GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
queue: CAFs                      POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
queue: front door                GET    404 .   .   .   .   .   .   .   .   .   .   404 404 .   .   200 404 404 404 in
queue: front door                POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
queue: pick-up                   GET    404 .   .   .   .   .   .   .   .   .   .   200 404 .   .   404 404 404 404 in
queue: pick-up                   POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
# The uses of break-glass waiting for one's review: the CAF administrators, agency managers and the early
# help lead (this scene names neither of the last two).
queue: break-glass reviews       GET    403 .   .   .   .   .   .   .   .   .   .   200 403 .   .   403 403 403 403 in
queue: break-glass reviews       POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
# The managers' list of sharing decisions (issue 15): CAF administrators, social care managers, the early
# help lead and agency managers (neither in the scene), each for the CAFs they may see.
queue: sharing decisions         GET    403 .   .   .   .   .   .   .   .   .   .   200 403 .   .   200 403 403 403 in
queue: sharing decisions         POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in


# Finding a child of another council that lists one's agency for break-glass (a partner council's
# emergency duty team): this scene's councils list nobody's agency, so everyone is refused; the partner's
# own journey is tests/test_break_glass.py.
queue: break-glass elsewhere     GET    403 .   .   .   .   .   .   .   .   .   .   403 403 .   .   403 403 403 403 in
queue: break-glass elsewhere     POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
queue: possible duplicates       GET    404 .   .   .   .   .   .   .   .   .   .   200 404 .   .   404 404 404 404 in
queue: possible duplicates       POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
# Subject access (issue 15): the council's requests and the search for an adult among the consenting
# people, and recording a request about an adult (Kelly Smith): the council's CAF administrators (404 to
# anyone else, as the possible duplicates).
queue: subject access            GET    404 .   .   .   .   .   .   .   .   .   .   200 404 .   .   404 404 404 404 in
queue: subject access            POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
queue: subject access, adult     GET    404 .   .   .   .   .   .   .   .   .   .   200 404 .   .   404 404 404 404 in
queue: subject access, adult     POST   404 .   .   .   .   .   .   .   .   .   .   ok  404 .   .   404 404 404 404 in
# The full lists behind the home pages' queues (issue 13): everyone signed in has their own actions
# and referrals (each list only their own rows, tests/test_queue_bounds.py).
queue: actions                   GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
queue: actions                   POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
queue: referrals                 GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
queue: referrals                 POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
queue: step-down figures         GET    404 .   .   .   .   .   .   .   .   .   .   200 404 .   .   200 404 404 404 in
queue: step-down figures         POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
# The council's figures (issue 16): its CAF administrators, social care managers and council
# administrators; everyone else 403. The page is always the person's own council's, so another council's
# administrator sees their own (OCA 200) and never this one's (tests/test_council_figures.py).
queue: council figures           GET    403 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 403 403 200 in
queue: council figures           POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
# The comparison across councils: service administrators, and the figures' people of a council that
# agreed to share its figures (the scene's councils do not: the default; tests/test_council_figures.py).
queue: councils compared         GET    403 .   .   .   .   .   .   .   .   .   .   403 403 .   .   403 403 403 403 in
queue: councils compared         POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
# The council's own social care return (Settled question 22): its council and CAF administrators enter a
# month; another council's administrator gets their own council's page (OCA), never this one's.
queue: social care return        GET    403 .   .   .   .   .   .   .   .   .   .   200 200 .   .   403 403 403 200 in
queue: social care return        POST   403 .   .   .   .   .   .   .   .   .   .   ok  ok  .   .   403 403 403 ok  in
# Find before create, record a new child: the staff of a council's agencies, each in their own council.
children: find                   GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
children: find                   POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
children: record a new child     GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
children: record a new child     POST   ok  .   .   .   .   .   .   .   .   .   .   ok  ok  .   .   ok  ok  ok  ok  in

# One's own account: home, notifications, password change (home and the notifications list answer a POST
# as a GET: README silent, harmless).
account: own pages               GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
account: own pages               POST   ok  .   .   .   .   .   .   .   .   .   .   ok  ok  .   .   ok  ok  ok  ok  in
account: own pages, GET only     GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
account: own pages, GET only     POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: mark all read           GET    405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: mark all read           POST   302 .   .   .   .   .   .   .   .   .   .   302 302 .   .   302 302 302 302 in
# One's own unsaved form (issue 14): an empty post names no form of this service.
account: discard a draft         GET    405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: discard a draft         POST   400 .   .   .   .   .   .   .   .   .   .   400 400 .   .   400 400 400 400 in
# A form's autosave (issue 14): an empty post carries no token of the person's own form.
account: autosave a draft        GET    405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: autosave a draft        POST   400 .   .   .   .   .   .   .   .   .   .   400 400 .   .   400 400 400 400 in
# The timeout warning (issue 14): one's own session only.
account: session time left       GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
account: session time left       POST   405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: stay signed in          GET    405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: stay signed in          POST   200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
# Where one is signed in (issue 15): one's own sessions only; an empty post names no session.
account: end a session           GET    405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: end a session           POST   400 .   .   .   .   .   .   .   .   .   .   400 400 .   .   400 400 400 400 in
# One's own second factor (issue 15): turning it off, new recovery codes and the step-up code need one
# set up; nobody in the scene has one (they signed in with force_login), so each goes back to the
# overview (the step-up page to setting one up), for every role.
account: own second factor       GET    302 .   .   .   .   .   .   .   .   .   .   302 302 .   .   302 302 302 302 in
account: own second factor       POST   302 .   .   .   .   .   .   .   .   .   .   302 302 .   .   302 302 302 302 in
# CAD's notification: anyone else's is not found.
account: mark one read           GET    405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
account: mark one read           POST   404 .   .   .   .   .   .   .   .   .   .   302 404 .   .   404 404 404 404 in
# MEM's e-mail change link: only MEM, signed in as themselves.
account: e-mail change link      GET    403 200 .   .   .   .   .   .   .   .   .   403 403 .   .   403 403 403 403 in
account: e-mail change link      POST   403 ok  .   .   .   .   .   .   .   .   .   403 403 .   .   403 403 403 403 in
# Check the threshold: every signed-in user, any council's current model (a GET form; a POST is shown as a GET).
thresholds: guide                GET    200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in
thresholds: guide                POST   200 .   .   .   .   .   .   .   .   .   .   200 200 .   .   200 200 200 200 in

# Threshold models: council administrators, their own council's only (another council's version: 404).
council admin: versions          GET    403 .   .   .   .   .   .   .   .   .   .   403 200 .   .   403 403 403 200 in
council admin: versions          POST   403 .   .   .   .   .   .   .   .   .   .   403 ok  .   .   403 403 403 ok  in
council admin: start a draft     GET    405 .   .   .   .   .   .   .   .   .   .   405 405 .   .   405 405 405 405 in
council admin: start a draft     POST   403 .   .   .   .   .   .   .   .   .   .   403 ok  .   .   403 403 403 ok  in
council admin: a version         GET    403 .   .   .   .   .   .   .   .   .   .   403 200 .   .   403 403 403 404 in
council admin: a version         POST   403 .   .   .   .   .   .   .   .   .   .   403 ok  .   .   403 403 403 404 in
"""
# fmt: on

# Every URL pattern the service has (namespace:name), each with one or more entries:
# (variant, group, URL keyword arguments, query string), each value a key of the scene.
URLS = {
    # The children pages (caf)
    "caf:child_find": [("", "children: find", {}, {})],
    "caf:child_create": [("", "children: record a new child", {}, {})],
    "caf:child_detail": [("", "child: record", {"child_id": "child"}, {})],
    "caf:child_access_log": [("", "child: access log", {"child_id": "child"}, {})],
    "caf:child_merge": [("", "child: merge", {"child_id": "child"}, {})],
    "caf:child_legal_hold": [("", "child: legal hold", {"child_id": "child"}, {})],
    "caf:child_social_care_stage": [("", "child: social care stage", {"child_id": "child"}, {})],
    "caf:break_glass_open": [("", "child: break-glass", {"child_id": "child"}, {})],
    "caf:break_glass_review": [("", "child: review a break-glass use", {"use_id": "break_glass"}, {})],
    "caf:break_glass_reviews": [("", "queue: break-glass reviews", {}, {})],
    "caf:break_glass_find": [("", "queue: break-glass elsewhere", {}, {})],
    "caf:possible_duplicate_merge": [("", "child: possible duplicate", {"pair_id": "pair"}, {})],
    "caf:possible_duplicates": [("", "queue: possible duplicates", {}, {})],
    "caf:possible_duplicate_dismiss": [("", "child: not the same child", {"pair_id": "pair"}, {})],
    "caf:caf_start": [("", "child: start a CAF or refer", {"child_id": "child"}, {})],
    "caf:child_subject_access": [("", "child: subject access pages", {"child_id": "child"}, {})],
    "caf:subject_access_start_child": [("", "child: subject access forms", {"child_id": "child"}, {})],
    "caf:subject_access_requests": [("", "queue: subject access", {}, {})],
    "caf:subject_access_start_adult": [
        ("", "queue: subject access, adult", {}, {"adult": "adult_name"}),
        ("family", "child: subject access, its adult", {}, {"adult": "adult_name", "family": "child"}),
    ],
    "caf:subject_access_detail": [
        ("child", "child: subject access pages", {"request_id": "subject_access"}, {}),
        ("adult", "adult: subject access pages", {"request_id": "adult_subject_access"}, {}),
    ],
    "caf:subject_access_export": [
        ("child", "child: subject access pages", {"request_id": "subject_access"}, {}),
        ("adult", "adult: subject access pages", {"request_id": "adult_subject_access"}, {}),
    ],
    "caf:subject_access_decide": [
        ("child", "child: subject access forms", {"request_id": "subject_access"}, {}),
        ("adult", "adult: subject access decision", {"request_id": "adult_subject_access"}, {}),
    ],
    # caf: the record
    "caf:caf_list": [("", "queue: CAFs", {}, {})],
    "caf:action_list": [("", "queue: actions", {}, {})],
    "caf:caf_sharing": [
        ("no lead", "no lead: view", {"caf_id": "no_lead"}, {}),
        ("active", "active: view", {"caf_id": "caf"}, {}),
        ("closed", "closed: view", {"caf_id": "closed"}, {}),
        ("long closed", "closed 13 months ago: view", {"caf_id": "long_closed"}, {}),
    ],
    "caf:caf_not_shared": [
        ("no lead", "no lead: consent and exclusions", {"caf_id": "no_lead"}, {}),
        ("active", "active: consent and exclusions", {"caf_id": "caf"}, {}),
        ("closed", "closed: exclusions", {"caf_id": "closed"}, {}),
    ],
    "caf:caf_duty_to_share": [("active", "active: duty to share", {"caf_id": "caf"}, {})],
    "caf:sharing_decisions": [("", "queue: sharing decisions", {}, {})],
    "caf:caf_detail": [
        ("no lead", "no lead: view", {"caf_id": "no_lead"}, {}),
        ("active", "active: view", {"caf_id": "caf"}, {}),
        ("draft", "draft: view", {"caf_id": "draft"}, {}),
        ("closed", "closed: view", {"caf_id": "closed"}, {}),
        ("long closed", "closed 13 months ago: view", {"caf_id": "long_closed"}, {}),
    ],
    "caf:consent_record": [
        ("no lead", "no lead: consent and exclusions", {"caf_id": "no_lead"}, {}),
        ("active", "active: consent and exclusions", {"caf_id": "caf"}, {}),
        ("draft", "draft: initiator", {"caf_id": "draft"}, {}),
        ("closed", "closed: consent", {"caf_id": "closed"}, {}),
    ],
    "caf:consent_withdraw": [
        ("active", "active: consent and exclusions", {"caf_id": "caf", "consent_id": "consent"}, {}),
        ("closed", "closed: consent", {"caf_id": "closed", "consent_id": "closed_consent"}, {}),
    ],
    "caf:exclusion_record": [
        ("no lead", "no lead: consent and exclusions", {"caf_id": "no_lead"}, {}),
        ("active", "active: consent and exclusions", {"caf_id": "caf"}, {}),
        ("closed", "closed: exclusions", {"caf_id": "closed"}, {}),
    ],
    "caf:exclusion_lift": [
        ("active", "active: consent and exclusions", {"caf_id": "caf", "exclusion_id": "exclusion"}, {}),
    ],
    "caf:safeguarding_override": [
        ("active", "active: draft steps", {"caf_id": "caf"}, {}),
        ("draft", "draft: initiator", {"caf_id": "draft"}, {}),
    ],
    "caf:assessment": [
        ("no lead", "no lead: assessment", {"caf_id": "no_lead"}, {}),
        ("active", "active: lead professional only", {"caf_id": "caf"}, {}),
        ("draft", "draft: initiator", {"caf_id": "draft"}, {}),
    ],
    "caf:child_level": [
        ("active", "active: lead professional only", {"caf_id": "caf", "caf_child_id": "caf_child"}, {}),
        ("draft", "draft: initiator", {"caf_id": "draft", "caf_child_id": "draft_caf_child"}, {}),
    ],
    "caf:caf_children_add": [
        ("active", "active: draft steps", {"caf_id": "caf"}, {}),
        ("draft", "draft: initiator", {"caf_id": "draft"}, {}),
    ],
    "caf:caf_submit": [
        ("active", "active: submitted page", {"caf_id": "caf"}, {}),
        ("draft", "draft: initiator", {"caf_id": "draft"}, {}),
    ],
    "caf:taf": [
        ("active", "active: team", {"caf_id": "caf"}, {}),
        ("no lead", "no lead: team", {"caf_id": "no_lead"}, {}),
    ],
    "caf:taf_remove": [("active", "active: leave the team", {"caf_id": "caf", "membership_id": "membership"}, {})],
    "caf:lead_professional": [
        ("active", "active: CAF administrator", {"caf_id": "caf"}, {}),
        ("no lead", "no lead: CAF administrator", {"caf_id": "no_lead"}, {}),
    ],
    "caf:caf_register": [("active", "active: CAF administrator", {"caf_id": "caf"}, {})],
    "caf:plan": [
        ("active", "active: plan", {"caf_id": "caf"}, {}),
        ("no lead", "no lead: plan", {"caf_id": "no_lead"}, {}),
        ("closed", "closed: plan", {"caf_id": "closed"}, {}),
    ],
    "caf:plan_action": [("active", "active: own action", {"caf_id": "caf", "action_id": "action"}, {})],
    "caf:caf_close": [
        ("active", "active: close", {"caf_id": "caf"}, {}),
        ("no lead", "no lead: close", {"caf_id": "no_lead"}, {}),
    ],
    "caf:caf_reopen": [("closed", "closed: reopen", {"caf_id": "closed"}, {})],
    "caf:caf_print": [("active", "active: view", {"caf_id": "caf"}, {})],
    "caf:reviews": [("active", "active: view", {"caf_id": "caf"}, {})],
    "caf:review_record": [
        ("active", "active: lead professional only", {"caf_id": "caf"}, {}),
        ("no lead", "no lead: initiator", {"caf_id": "no_lead"}, {}),
    ],
    "caf:review_date": [("active", "active: lead professional only", {"caf_id": "caf"}, {})],
    # The step-up pages of referrals
    "referrals:front_door": [("", "queue: front door", {}, {})],
    "referrals:referral_start": [
        ("from the CAF without a lead", "no lead: initiator", {}, {"caf": "no_lead"}),
        ("from the CAF", "active: refer with the CAF", {}, {"caf": "caf"}),
        ("from the child", "child: start a CAF or refer", {}, {"child": "child"}),
    ],
    "referrals:referral_detail": [("", "referral: view", {"referral_id": "referral"}, {})],
    "referrals:front_door_call": [("", "referral: the front-door call", {"referral_id": "referral"}, {})],
    "referrals:referral_check": [("", "referral: check your answers", {"referral_id": "referral"}, {})],
    "referrals:referral_claim": [("", "referral: claim", {"referral_id": "referral"}, {})],
    "referrals:referral_decide": [("", "referral: decide", {"referral_id": "referral"}, {})],
    # The step-down pages of referrals
    "referrals:pick_up_queue": [("", "queue: pick-up", {}, {})],
    "referrals:referral_list": [("", "queue: referrals", {}, {})],
    "referrals:step_down_new": [
        ("from the referral", "step-down: send", {}, {"referral": "referral"}),
        ("from the CAF", "step-down: send", {}, {"caf": "caf"}),
    ],
    "referrals:step_down_figures": [("", "queue: step-down figures", {}, {})],
    # Its CSV downloads (?format=csv&figure=) are refused the same way: tests/test_council_figures.py.
    "referrals:council_figures": [("", "queue: council figures", {}, {})],
    "referrals:councils_compared": [("", "queue: councils compared", {}, {})],
    "referrals:social_care_return": [("", "queue: social care return", {}, {})],
    "referrals:step_down_detail": [("", "step-down: view", {"step_down_id": "step_down"}, {})],
    "referrals:step_down_pick_up": [("", "step-down: pick up or decline", {"step_down_id": "step_down"}, {})],
    "referrals:step_down_decline": [("", "step-down: pick up or decline", {"step_down_id": "step_down"}, {})],
    # accounts: one's own
    "home": [("", "account: own pages", {}, {})],
    "notifications": [("", "account: own pages", {}, {})],
    "password_change": [("", "account: own pages", {}, {})],
    "password_change_done": [("", "account: own pages, GET only", {}, {})],
    "notifications_read_all": [("", "account: mark all read", {}, {})],
    "draft_discard": [("", "account: discard a draft", {}, {})],
    "draft_autosave": [("", "account: autosave a draft", {}, {})],
    "session_time_left": [("", "account: session time left", {}, {})],
    "session_stay": [("", "account: stay signed in", {}, {})],
    "sign_in_sessions": [("", "account: own pages, GET only", {}, {})],
    "sign_in_session_end": [("", "account: end a session", {}, {})],
    "two_factor": [("", "account: own pages, GET only", {}, {})],
    "two_factor_set_up": [("", "account: own pages", {}, {})],
    "two_factor_remove": [("", "account: own second factor", {}, {})],
    "two_factor_recovery_codes": [("", "account: own second factor", {}, {})],
    "two_factor_step_up": [("", "account: own second factor", {}, {})],
    "notification_read": [("", "account: mark one read", {"notification_id": "notification"}, {})],
    "email_change_confirm": [("", "account: e-mail change link", {"token": "email_token"}, {})],
    # thresholds
    "thresholds:check_start": [("", "thresholds: guide", {}, {})],
    "thresholds:check": [("", "thresholds: guide", {"model_id": "published_model"}, {})],
    "thresholds:manage": [("", "council admin: versions", {}, {})],
    "thresholds:manage_draft_start": [("", "council admin: start a draft", {}, {})],
    "thresholds:manage_model": [("", "council admin: a version", {"model_id": "threshold_draft"}, {})],
    "thresholds:manage_level": [
        ("", "council admin: a version", {"model_id": "threshold_draft", "level_id": "level"}, {})
    ],
    "thresholds:manage_indicator_add": [("", "council admin: a version", {"model_id": "threshold_draft"}, {})],
    "thresholds:manage_indicator": [
        ("", "council admin: a version", {"model_id": "threshold_draft", "indicator_id": "indicator"}, {})
    ],
    "thresholds:manage_indicator_remove": [
        ("", "council admin: a version", {"model_id": "threshold_draft", "indicator_id": "indicator"}, {})
    ],
    "thresholds:manage_rule_add": [("", "council admin: a version", {"model_id": "threshold_draft"}, {})],
    "thresholds:manage_rule_remove": [
        ("", "council admin: a version", {"model_id": "threshold_draft", "rule_id": "rule"}, {})
    ],
    "thresholds:manage_policy_case_add": [("", "council admin: a version", {"model_id": "threshold_draft"}, {})],
    "thresholds:manage_policy_case": [
        ("", "council admin: a version", {"model_id": "threshold_draft", "case_id": "policy_case"}, {})
    ],
    "thresholds:manage_policy_case_remove": [
        ("", "council admin: a version", {"model_id": "threshold_draft", "case_id": "policy_case"}, {})
    ],
    "thresholds:manage_compare": [("", "council admin: a version", {"model_id": "threshold_draft"}, {})],
    "thresholds:manage_publish": [("", "council admin: a version", {"model_id": "threshold_draft"}, {})],
}

# Public pages: no sign-in needed; checked for an anonymous visitor only (what each answers).
PUBLIC = {
    "login": ("GET", {}, 200),
    # The second step of signing in: without a right password first, back to the sign-in page.
    "two_factor_sign_in_code": ("GET", {}, 302),
    "two_factor_sign_in_set_up": ("GET", {}, 302),
    "logout": ("POST", {}, 302),
    "password_reset": ("GET", {}, 200),
    "password_reset_done": ("GET", {}, 200),
    "password_reset_confirm": ("GET", {"uidb64": "MQ", "token": "not-a-token"}, 200),
    "password_reset_complete": ("GET", {}, 200),
    # Single sign-on: the work e-mail address; the provider's answer, refused (400) when this browser
    # started no sign-in (tests/test_sso.py drives the whole flow against a real OpenID provider).
    "sso_start": ("GET", {}, 200),
    "sso_callback": ("GET", {}, 400),
}

# Not in the matrix: Django's admin (council administrators' own tests cover it: tests/test_admin.py),
# and what is not a URL pattern (static files by whitenoise, /healthz by its middleware).
SKIPPED_PREFIXES = ("admin/",)

# Groups of pages about no one record (a list, one's own account, the council's configuration): only the
# role changes the answer there, and "." cells are not run; these run for every such group.
ROLE_ONLY = {
    group for group in GROUPS if group.split(":")[0] in {"queue", "children", "account", "thresholds", "council admin"}
}
REPRESENTATIVES = ("INI", "CAD", "CNA", "SMa", "SWa", "OCU", "OCA", "ANO")

# Pairs that cannot exist, listed and not run (the "--" cells).
IMPOSSIBLE = {
    ("step-down: view", "SMb"): "a step-down exists only after social care's own decision or work",
    ("step-down: view", "SWb"): "a step-down exists only after social care's own decision or work",
    ("step-down: pick up or decline", "SMb"): "a step-down exists only after social care's own decision or work",
    ("step-down: pick up or decline", "SWb"): "a step-down exists only after social care's own decision or work",
}

METHODS = ("GET", "POST")
TOKENS = {"200", "302", "400", "403", "404", "405", "ok", "in", "--", "."}


def expectations() -> dict[tuple[str, str], dict[str, str]]:
    """TABLE as {(group, method): {relation: token}}; refuses a malformed table."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in TABLE.strip().splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("group "):
            continue
        group, rest = line[:33].strip(), line[33:].split()
        method, tokens = rest[0], rest[1:]
        if method not in METHODS or len(tokens) != len(RELATIONS) or not set(tokens) <= TOKENS:
            raise ValueError(f"Malformed row of the permission matrix: {line!r}")
        if (group, method) in rows:
            raise ValueError(f"Two rows for {group} {method}")
        rows[(group, method)] = dict(zip(RELATIONS, tokens, strict=True))
    return rows
