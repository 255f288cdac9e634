from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "beatbook.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Connects the sign-in audit handlers.
        from . import signals  # noqa: F401
