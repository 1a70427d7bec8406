"""The children a person's own searches showed (newest last), who they may start a CAF or a referral
for (caf.selectors.child_for_new_caf): kept in their session, the most recent few only. The find
page remembers them; the CAF's and the referral's start pages read them."""

from django.http import HttpRequest

FOUND_SESSION_KEY = "caf_found_child_ids"
FOUND_KEPT = 200


def found_children_remember(request: HttpRequest, child_ids: list[int]) -> None:
    kept = [pk for pk in request.session.get(FOUND_SESSION_KEY, []) if pk not in child_ids]
    request.session[FOUND_SESSION_KEY] = (kept + child_ids)[-FOUND_KEPT:]


def found_children(request: HttpRequest) -> frozenset[int]:
    return frozenset(request.session.get(FOUND_SESSION_KEY, []))
