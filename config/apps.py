"""Third-party apps under Chinese names in the admin."""

from axes.apps import AppConfig as AxesAppConfig


class SignInLockoutConfig(AxesAppConfig):
    """django-axes (sign-in throttling), named as the admin shows it."""

    verbose_name = "登录限制"
