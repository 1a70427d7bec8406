"""Nothing typed into a long form is lost (issue 14; Settled questions 19 and 20).

A long form's view asks `FormKeeper` for the data to bind its form to. On every submit the posted
fields are kept as the person's draft of that form (accounts.FormDraft: one per person and form
address); the view's real save runs inside `keeper.saving()`, which deletes the draft in the same
transaction. On a GET, `keeper.restore(form)` puts a kept draft back into the form's fields and says
so. A draft is shown to its owner only: it is looked up by the signed-in user, never by anything the
browser sends.

Outside a form's own page (a post after the session ended, the autosave) a draft is written only
if the person may still see its record: each app that names records registers that check
(`record_access_register`, in its AppConfig.ready, as layers point one way); a record of a kind
nobody registered is never kept. Someone the family excluded since the page was drawn, or whose
access ended, has nothing more kept (Settled questions 10 and 20).

A post that arrives after the session ended (`KeepPostAfterSignOutMiddleware`): the form carries a
signed token naming the person, the form's address and the record, made when the page was drawn. If
the token verifies, the post is kept as that person's draft and they are sent to sign in, then back
to the form, where the view restores it. Without a valid token nothing is kept, and nothing is ever
kept in the anonymous session (Django's login() would hand it to whoever signs in next).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.html import format_html

from accounts.http import AuthenticatedHttpRequest
from accounts.models import FormDraft, LocalAuthority, User

TOKEN_FIELD = "_form_keeper"
# How long after the page was drawn a post from a signed-out browser is still kept: a working day
# (someone who starts an assessment in the morning and presses Save after a long meeting).
TOKEN_MAX_AGE = timedelta(hours=12)
_SALT = "accounts.drafts.form-keeper"
# Fields that are the form's machinery, not what the person typed.
_NOT_TYPED = {"csrfmiddlewaretoken", TOKEN_FIELD}


_RECORD_ACCESS: dict[str, Callable[[User, int], bool]] = {}


def record_access_register(kind: str, may_see: Callable[[User, int], bool]) -> None:
    """How to ask whether someone may see a record named "<kind>:<id>" (a draft's `record`)."""
    _RECORD_ACCESS[kind] = may_see


def record_may_keep(user: User, record: str) -> bool:
    kind, _, pk = record.partition(":")
    may_see = _RECORD_ACCESS.get(kind)
    return may_see is not None and pk.isdecimal() and user.is_active and may_see(user, int(pk))


def keeper_token(user: User, path: str, record: str) -> str:
    return signing.dumps({"user": user.pk, "path": path, "record": record}, salt=_SALT, compress=True)


def keeper_token_open(token: str) -> tuple[int, str, str] | None:
    """The (user id, form address, record) a token names, if it is ours and unexpired."""
    try:
        value = signing.loads(token, salt=_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict):
        return None
    user_id, path, record = value.get("user"), value.get("path"), value.get("record")
    if not isinstance(user_id, int) or not isinstance(path, str) or not isinstance(record, str):
        return None
    return user_id, path, record


def keeper_token_read(token: str, *, path: str) -> tuple[int, str] | None:
    """The (user id, record) a token names, if it is ours, unexpired, and for this form's address."""
    opened = keeper_token_open(token)
    if opened is None or opened[1] != path:
        return None
    return opened[0], opened[2]


def autosave(user: User, data: QueryDict) -> datetime | None:
    """What the page's script sends as the person types (static/js/drafts.js): kept as their draft
    of the form the token names, if the token is theirs. Returns when it was kept."""
    opened = keeper_token_open(data.get(TOKEN_FIELD, ""))
    if opened is None or opened[0] != user.pk or not record_may_keep(user, opened[2]):
        return None
    _, path, record = opened
    draft_keep(user_id=user.pk, path=path, record=record, data=data)
    return timezone.now()


def _typed(data: QueryDict) -> dict[str, list[str]]:
    return {
        _storable(name): [_storable(value) for value in data.getlist(name)] for name in data if name not in _NOT_TYPED
    }


def _storable(text: str) -> str:
    """Text as PostgreSQL can keep it: without NUL (nobody types one; the form refuses it) and with
    a lone surrogate (not text) replaced."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def draft_keep(*, user_id: int, path: str, record: str, data: QueryDict, after_sign_out: bool = False) -> None:
    FormDraft.objects.update_or_create(
        user_id=user_id,
        path=path,
        defaults={
            "record": record,
            "data": _typed(data),
            "saved_at": timezone.now(),
            "after_sign_out": after_sign_out,
        },
    )


def draft_discard(user: User, path: str) -> None:
    """The person chose to drop what they had not saved (the restored form's button)."""
    FormDraft.objects.filter(user=user, path=path).delete()


def drafts_discard_for(record: str, users: list[User] | None = None) -> int:
    """Delete the drafts of a record: everyone's, or these people's (whose access to it ends). Called
    by the services in the transaction that ends the access (Settled question 20)."""
    drafts = FormDraft.objects.filter(record=record)
    if users is not None:
        drafts = drafts.filter(user__in=users)
    return drafts.delete()[0]


def drafts_discard_unused(*, now: datetime | None = None) -> int:
    """Delete drafts nobody has touched for their council's days (LocalAuthority.drafts_kept_days):
    the nightly job. Idempotent."""
    now = now or timezone.now()
    deleted = 0
    for council in LocalAuthority.objects.only("pk", "drafts_kept_days"):
        cutoff = now - timedelta(days=council.drafts_kept_days)
        deleted += FormDraft.objects.filter(user__agency__council=council, saved_at__lt=cutoff).delete()[0]
    # Someone of no council (a superuser, the only account without an agency): the default days.
    default = LocalAuthority._meta.get_field("drafts_kept_days").default
    cutoff = now - timedelta(days=default)
    deleted += FormDraft.objects.filter(user__agency__isnull=True, saved_at__lt=cutoff).delete()[0]
    return deleted


def clock(at: datetime) -> str:
    """'10:42am on 6 December', in the service's time zone (GOV.UK style)."""
    local = timezone.localtime(at)
    return f"{local:%-I:%M}{local:%p}".lower() + f" on {local:%-d %B}"


@dataclass
class FormKeeper:
    """One long form's keeper, for the signed-in person and the record the form changes."""

    request: AuthenticatedHttpRequest
    record: str  # "caf:12"
    restored: FormDraft | None = None
    # The address of the form whose draft this is, when it is not the page's own: a check-your-answers
    # page reads, and its send deletes, the draft of the form it follows.
    form_path: str = ""

    @property
    def path(self) -> str:
        return self.form_path or self.request.get_full_path()

    @property
    def user(self) -> User:
        return self.request.user

    def data(self) -> QueryDict | None:
        """What the form is bound to: on a POST, the posted data, kept first as the person's draft; on
        a GET, None (an unbound form; `restore` fills it from a draft)."""
        if self.request.method != "POST":
            return None
        draft_keep(user_id=self.user.pk, path=self.path, record=self.record, data=self.request.POST)
        return self.request.POST

    @contextmanager
    def saving(self) -> Iterator[None]:
        """The real save and the draft's deletion, in one transaction: if the save is refused, the
        draft stays."""
        with transaction.atomic():
            yield
            FormDraft.objects.filter(user=self.user, path=self.path).delete()

    def kept(self) -> QueryDict | None:
        """The person's draft of this form, as the data a form binds to; None without one."""
        draft = FormDraft.objects.filter(user=self.user, path=self.path).first()
        if draft is None:
            return None
        kept = QueryDict(mutable=True)
        for name, values in draft.data.items():
            kept.setlist(name, values)
        return kept

    def restore(self, form: forms.Form) -> FormDraft | None:
        """On a GET, put the person's draft of this form back into its fields (each widget reads its
        own value from the kept data, as it would from a post); the page says so (`restored_text`)
        and offers to discard it."""
        if self.request.method != "GET":
            return None
        draft = FormDraft.objects.filter(user=self.user, path=self.path).first()
        if draft is None:
            return None
        kept = QueryDict(mutable=True)
        for name, values in draft.data.items():
            kept.setlist(name, values)
        for name, field in form.fields.items():
            form.initial[name] = field.widget.value_from_datadict(kept, {}, form.add_prefix(name))
        self.restored = draft
        return draft

    @property
    def restored_text(self) -> str:
        if self.restored is None:
            return ""
        if self.restored.after_sign_out:
            text = "You were signed out before this was saved. We kept what you typed at {}: check it, then save."
        else:
            text = "This form has changes you have not saved yet, from {}: check them, then save."
        return text.format(clock(self.restored.saved_at))

    def token(self) -> str:
        return keeper_token(self.user, self.path, self.record)

    def hidden_field(self) -> str:
        return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, self.token())


class KeepPostAfterSignOutMiddleware:
    """A long form posted after the session ended: kept for the person its token names, who is sent
    to sign in and then back to the form (Settled question 19). Sits before LoginRequiredMiddleware,
    after CSRF (the CSRF cookie outlives the session, so the post is still checked)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        if request.method != "POST" or request.user.is_authenticated or TOKEN_FIELD not in request.POST:
            return None
        path = request.get_full_path()
        named = keeper_token_read(request.POST[TOKEN_FIELD], path=path)
        if named is None:
            return None
        user_id, record = named
        user = User.objects.filter(pk=user_id, is_active=True).select_related("agency").first()
        if user is None or not record_may_keep(user, record):
            return None
        draft_keep(user_id=user_id, path=path, record=record, data=request.POST, after_sign_out=True)
        messages.info(
            request,
            "You were signed out because you had not used the service for a while. Sign in to go back to"
            " your form: what you typed is kept.",
        )
        return redirect_to_login(path)
