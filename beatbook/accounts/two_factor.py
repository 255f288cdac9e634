"""Helpers for enrolling an authenticator app: the secret, its QR code and the first code.

The secret lives in the (server-side, signed) session until the person proves they hold it
by typing a code from their app; only then is a TOTP device saved. Nothing is written on GET.
"""

from __future__ import annotations

import re
from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .models import User

SESSION_KEY = "beatbook_two_factor_setup_key"
# Codes from one step either side of now are accepted, as TOTPDevice does, to allow for a
# phone clock that is a little out.
TOLERANCE = 1


def new_key() -> str:
    """A random 20-byte secret, hex-encoded the way TOTPDevice stores it."""
    return str(default_key())


def secret_for_display(key: str) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    text = b32encode(unhexlify(key)).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def config_url(user: User, key: str) -> str:
    # An unsaved device builds the otpauth:// URL with the issuer from OTP_TOTP_ISSUER.
    return str(TOTPDevice(user=user, key=key).config_url)


def qr_svg(data: str) -> SafeString:
    """The QR code as inline SVG (no style attributes, so the strict CSP allows it)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # The secret is also shown as text, so the picture is named for screen readers but not repeated.
    svg = svg.replace(
        "<svg ", '<svg role="img" aria-label="QR code for your authenticator app" class="bb-qr" focusable="false" ', 1
    )
    return mark_safe(svg)  # noqa: S308 - built by qrcode from our own URL, no user HTML


def normalise_token(token: str) -> str:
    return re.sub(r"\s+", "", token or "")


def match_setup_token(key: str, token: str) -> int | None:
    """The time step of `token` if it is a current code for `key`, else None."""
    token = normalise_token(token)
    if not re.fullmatch(r"\d{6}", token):
        return None
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    if totp.verify(int(token), tolerance=TOLERANCE):
        return int(totp.t())
    return None
