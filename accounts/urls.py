from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views, views_notifications, views_sso, views_two_factor

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/code/", views_two_factor.sign_in_code, name="two_factor_sign_in_code"),
    path("sign-in/set-up/", views_two_factor.sign_in_set_up, name="two_factor_sign_in_set_up"),
    path("sign-in/organisation/", views_sso.sso_start, name="sso_start"),
    path("sign-in/organisation/return/", views_sso.sso_callback, name="sso_callback"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("change-password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("change-password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("sessions/", views.sign_in_session_list, name="sign_in_sessions"),
    path("sessions/end/", views.sign_in_session_end, name="sign_in_session_end"),
    path("two-factor/", views_two_factor.two_factor_page, name="two_factor"),
    path("two-factor/set-up/", views_two_factor.two_factor_set_up, name="two_factor_set_up"),
    path("two-factor/verify/", views_two_factor.two_factor_step_up, name="two_factor_step_up"),
    path("two-factor/remove/", views_two_factor.two_factor_remove, name="two_factor_remove"),
    path("two-factor/recovery-codes/", views_two_factor.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("email-change/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("drafts/discard/", views.draft_discard, name="draft_discard"),
    path("drafts/autosave/", views.draft_autosave, name="draft_autosave"),
    path("session/time-left/", views.session_time_left, name="session_time_left"),
    path("session/stay/", views.session_stay, name="session_stay"),
    path("notifications/", views_notifications.notification_list, name="notifications"),
    path("notifications/<int:notification_id>/read/", views_notifications.notification_read, name="notification_read"),
    path("notifications/read-all/", views_notifications.notifications_read_all, name="notifications_read_all"),
]
