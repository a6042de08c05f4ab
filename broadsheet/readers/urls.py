from django.urls import path

from broadsheet.readers import social, views

app_name = "readers"

urlpatterns = [
    path("accounts/sign-up/", views.sign_up, name="sign_up"),
    path("accounts/sign-in/", views.SignInView.as_view(), name="sign_in"),
    path("accounts/sign-out/", views.SignOutView.as_view(), name="sign_out"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/sso/", views.sso_sign_in, name="sso_sign_in"),
    path("accounts/sso/token", views.sso_token, name="sso_token"),
    path("accounts/settings/", views.account_settings, name="settings"),
    # Second factors (docs/mfa.md).
    path("accounts/sign-in/second-step/", views.second_step, name="second_step"),
    path(
        "accounts/sign-in/second-step/passkey/",
        views.second_step_passkey,
        name="second_step_passkey",
    ),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/two-factor/passkeys/", views.add_passkey_view, name="add_passkey"),
    path(
        "accounts/two-factor/passkeys/<int:passkey_id>/rename/",
        views.rename_passkey_view,
        name="rename_passkey",
    ),
    path(
        "accounts/two-factor/passkeys/<int:passkey_id>/remove/",
        views.remove_passkey_view,
        name="remove_passkey",
    ),
    path("accounts/two-factor/app/", views.totp_setup, name="totp_setup"),
    path("accounts/two-factor/app/remove/", views.remove_totp_view, name="remove_totp"),
    path(
        "accounts/two-factor/recovery-codes/",
        views.regenerate_recovery_codes,
        name="regenerate_recovery_codes",
    ),
    path(
        "accounts/settings/email/resend/",
        views.resend_verification,
        name="resend_verification",
    ),
    path(
        "accounts/settings/email/cancel/",
        views.cancel_email_change_view,
        name="cancel_email_change",
    ),
    path("accounts/settings/password/", views.PasswordChangeView.as_view(), name="password"),
    path("accounts/settings/sessions/", views.sessions, name="sessions"),
    path("accounts/settings/sessions/end/", views.end_session, name="end_session"),
    path("accounts/settings/data/", views.your_data, name="your_data"),
    path("accounts/settings/data/export/", views.request_data_download, name="request_data"),
    path(
        "accounts/settings/data/export/<str:token>/",
        views.download_data,
        name="download_data",
    ),
    path("accounts/settings/delete/", views.delete_account, name="delete_account"),
    path("accounts/settings/tokens/", views.api_tokens, name="api_tokens"),
    path(
        "accounts/settings/tokens/<int:token_id>/revoke/",
        views.revoke_api_token_view,
        name="revoke_api_token",
    ),
    path("accounts/verify-email/<str:token>/", views.verify_email, name="verify_email"),
    # Sign-in with other accounts (readers/social.py): only these of django-allauth's
    # views are routed; allauth looks its callbacks up by its own names (unnamespaced,
    # so in broadsheet/urls.py's social_callback_patterns).
    path("accounts/oidc/<str:provider_id>/login/", social.social_sign_in, name="social_sign_in"),
    path(
        "accounts/settings/linked/<int:account_id>/disconnect/",
        social.disconnect_social,
        name="disconnect_social",
    ),
    path("readers/<str:handle>/", views.profile, name="profile"),
    path("readers/<str:handle>/presence/", views.presence_setting, name="presence"),
    path("readers/<str:handle>/replies-feed/", views.reply_feed_setting, name="reply_feed"),
]


# django-allauth reverses "<provider>_callback" (and "openid_connect_callback" with the
# provider's id) without a namespace: broadsheet/urls.py includes these at the root.
social_callback_patterns = [
    *(
        path(
            f"accounts/oidc/{provider_id}/login/callback/",
            social.social_callback,
            {"provider_id": provider_id},
            name=f"{provider_id}_callback",
        )
        for provider_id in ("google", "apple", "github", "yandex", "vk")
    ),
    path(
        "accounts/oidc/apple/login/callback/finish/",
        social.apple_finish_callback,
        name="apple_finish_callback",
    ),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        social.social_callback,
        name="openid_connect_callback",
    ),
]
