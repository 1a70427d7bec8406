"""The header's unread count: one query, on pages for signed-in people only."""

from django import template

from accounts.notifications import notifications_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications_count(context: template.Context) -> int:
    user = context.get("user")
    return notifications_unread_count(user=user) if user is not None and user.is_authenticated else 0
