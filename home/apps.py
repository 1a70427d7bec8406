from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The top layer (Settled question 14): each role's home page and the demo loader. It may
    import every app; no app imports it."""

    name = "home"
    verbose_name = "Home pages and demo data"

    def ready(self) -> None:
        from home import ready

        ready.connect()
