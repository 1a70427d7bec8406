"""Children, families and their CAFs: consent, assessment, plan, Team Around the Family, lead
professional, closure, and the access log; one module per area:

- `children`: children and the adults of their households
- `caf`: the CAF, its children and their levels, the assessment, the object permission tables
- `consent`: consent, the family's exclusions and their exceptions, the sharing-basis vocabulary
- `plan`: the Team Around the Family, lead professionals, the delivery plan
- `reviews`: reviews and the review date's history
- `access_log`: the access log
- `break_glass`: a safeguarding opening of a child's record by someone without access
- `retention`: legal holds, the social care stages a child reached, and the record of each anonymisation
- `subject_access`: subject access requests and their release decisions
- `sharing`: shares under the duty to share (s.16LA) and recorded decisions not to share

Nothing about a child is deleted by a user: closure, withdrawal, leaving a TAF and corrections are
new rows or end dates. The rules that change these records live in caf/services/.
"""

from caf.models.access_log import AccessLog
from caf.models.break_glass import BreakGlass
from caf.models.caf import (
    GRANT_ENDS_SQL,
    AssessmentEntry,
    Caf,
    CafChild,
    CafGroupObjectPermission,
    CafUserObjectPermission,
    GrantReason,
    LevelChange,
)
from caf.models.children import Adult, Child, ChildCorrection, PossibleDuplicate, Sex, nhs_number_validate, upn_validate
from caf.models.consent import Consent, ConsentQuerySet, ExclusionException, FamilyExclusion, SharingBasis
from caf.models.plan import LeadProfessionalAssignment, PlanAction, TeamAroundFamilyMember
from caf.models.retention import Anonymisation, LegalHold, SocialCareStage
from caf.models.reviews import Review, ReviewActionProgress, ReviewDateChange
from caf.models.sharing import SharingDecision
from caf.models.subject_access import YOUNG_PERSON_AGES, SubjectAccessRequest

__all__ = [
    "GRANT_ENDS_SQL",
    "YOUNG_PERSON_AGES",
    "AccessLog",
    "Adult",
    "Anonymisation",
    "AssessmentEntry",
    "BreakGlass",
    "Caf",
    "CafChild",
    "CafGroupObjectPermission",
    "CafUserObjectPermission",
    "Child",
    "ChildCorrection",
    "Consent",
    "ConsentQuerySet",
    "ExclusionException",
    "FamilyExclusion",
    "GrantReason",
    "LeadProfessionalAssignment",
    "LegalHold",
    "LevelChange",
    "PlanAction",
    "PossibleDuplicate",
    "Review",
    "ReviewActionProgress",
    "ReviewDateChange",
    "Sex",
    "SharingBasis",
    "SharingDecision",
    "SocialCareStage",
    "SubjectAccessRequest",
    "TeamAroundFamilyMember",
    "nhs_number_validate",
    "upn_validate",
]
