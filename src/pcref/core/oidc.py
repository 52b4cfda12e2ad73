"""Optional single sign-on with OpenID Connect (for example Microsoft Entra ID).

Only existing, active staff accounts can sign in this way, matched by email address: an
administrator creates the account and its roles first. The second factor is still asked for.
"""

from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from pcref.core.models import User


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return User.objects.filter(email__iexact=email, is_active=True)

    def create_user(self, claims):  # pragma: no cover - OIDC_CREATE_USER is False
        return None
