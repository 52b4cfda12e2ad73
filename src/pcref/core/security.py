"""Security headers on every response: a Content-Security-Policy, a Permissions-Policy and the
Cross-Origin-Opener-Policy (docs/security.md).

Django's SecurityMiddleware and XFrameOptionsMiddleware already send Referrer-Policy,
X-Content-Type-Options, X-Frame-Options and, in production, Strict-Transport-Security; Django
5.2 has no Content-Security-Policy of its own, so this middleware sends it.

Pages run only our own scripts (`script-src 'self'`): no `unsafe-inline`, no `unsafe-eval`
(charts use Vega's interpreter, ADR 0008). The one inline script is the NHS.UK template's
first line of <body>, which marks the page `js-enabled`; it carries this request's nonce
(`cspNonce` in the template context). Styles come only from our style sheets: no `style`
attributes or <style> elements in pages (Vega sets its styles through the CSSOM, which a
policy does not govern). Fonts: the NHS.UK style sheet loads Frutiger from assets.nhs.uk.
"""

import secrets

# Where the NHS.UK frontend's style sheet loads the Frutiger web fonts from (its @font-face).
NHS_FONTS = "https://assets.nhs.uk"


def page_policy(nonce: str) -> str:
    """The Content-Security-Policy of an HTML page, with this request's script nonce."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self'",
            f"font-src 'self' {NHS_FONTS}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# Anything that is not a page (downloads, JSON, CSV, images, scripts, style sheets): nothing
# may run or load if a browser shows it as a document, e.g. an uploaded SVG opened directly.
# (Policies on scripts, style sheets and images loaded by a page do not apply to them.)
FILE_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
# A PDF shown inline: Chrome draws it with its own viewer in an <embed>, which `object-src`
# and `style-src` would block, so a PDF gets only the framing rule.
PDF_POLICY = "frame-ancestors 'none'"

# Browser features the site never uses, refused to the page and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
)


def content_security_policy(content_type: str, nonce: str) -> str:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "text/html":
        return page_policy(nonce)
    if media_type == "application/pdf":
        return PDF_POLICY
    return FILE_POLICY


class SecurityHeadersMiddleware:
    """Give each request a fresh script nonce and each response the headers above (a view
    that sets its own Content-Security-Policy keeps it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        policy = content_security_policy(response.get("Content-Type", ""), request.csp_nonce)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def csp_nonce(request) -> dict:
    """Template context: the nonce for the NHS.UK template's inline script (`cspNonce`)."""
    return {"cspNonce": getattr(request, "csp_nonce", "")}
