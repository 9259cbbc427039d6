"""Signing in and out, and changing one's password: Django's views with our templates."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from . import services, twofactor
from .middleware import ASKED, touch


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # The demo says that it signs in with the password alone.
        return {**super().get_context_data(**kwargs), "require_2fa": settings.FENGQIAO_REQUIRE_2FA}


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed_by_owner(user=form.user)
        messages.success(self.request, _("密码已修改。"))
        return response


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """A new account's one-time link (from the territory import): the owner chooses the first password.
    The token is void once a password is set, and after PASSWORD_RESET_TIMEOUT."""

    template_name = "registration/password_set.html"
    success_url = reverse_lazy("grids:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed_by_owner(user=form.user)
        messages.success(self.request, _("密码已设置，请用新密码登录。"))
        return response


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
def otp_setup(request):
    """First sign-in of someone who must use a second factor (or who chose to): enrol an authenticator."""
    if twofactor.enrolled(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('grids:otp_verify')}?next={quote(_next(request))}")
    if twofactor.locked_out(request, request.user):
        logout(request)
        return render(request, "registration/locked_out.html", status=429)
    device = twofactor.pending_device(request.user)
    error = ""
    if request.method == "POST":
        try:
            codes = twofactor.confirm_enrolment(
                request, user=request.user, device=device, code=request.POST.get("code")
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session[ASKED] = True
            return render(request, "registration/otp_codes.html", {"codes": codes, "next": _next(request)})
    context = {
        "secret": twofactor.secret_of(device),
        "qr": twofactor.qr_data_uri(device),
        "error": error,
        "next": _next(request),
        "required": twofactor.required_for(request.user),
    }
    return render(request, "registration/otp_setup.html", context, status=400 if error else 200)


@login_required
def otp_verify(request):
    """The second step of a sign-in: a code from the authenticator, or one unused recovery code."""
    if not twofactor.enrolled(request.user):
        return redirect(f"{reverse('grids:otp_setup')}?next={quote(_next(request))}")
    if request.user.is_verified():
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        if twofactor.locked_out(request, request.user):
            logout(request)
            return render(request, "registration/locked_out.html", status=429)
        try:
            twofactor.verify_session(request, code=request.POST.get("code"))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(_next(request))
    return render(
        request, "registration/otp_verify.html", {"error": error, "next": _next(request)}, status=400 if error else 200
    )


@login_required
def keepalive(request):
    """The idle warning's "continue": a request, so the idle clock starts again."""
    touch(request)
    return HttpResponse(status=204)
