"""The one signal apps send without a model save: a change to what the home pages' queues show, made
by a bulk update (the nightly anonymisation). The home pages listen (home.ready); a model's own saves
reach them through Django's signals. Sent with `council_id`."""

from django.dispatch import Signal

queues_changed = Signal()
