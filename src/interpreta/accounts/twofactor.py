"""Two-factor sign-in with time-based one-time passwords (RFC 6238, via ``pyotp``).

Optional for everyone, required for operator staff: a staff role is in force only
on an account that has it turned on (:attr:`User.staff_role_in_force`). Setting up
stores a new secret (encrypted, P22); it is turned on once a code from it is
given, which proves the authenticator app has it. A code is accepted once: the
time step of the last accepted code is kept, and codes of that step or older are
refused (RFC 6238, section 5.2).
"""

from __future__ import annotations

from datetime import datetime

import pyotp

from interpreta.accounts.models import User
from interpreta.errors import Problem, invalid
from interpreta.i18n.catalogues import gettext

ISSUER = "Interpreta"
VALID_WINDOW = 1
"""Codes one step (30 s) either side of now are accepted: clocks drift."""


def begin(user: User) -> str:
    """Give `user` a new, not yet active secret; returns its ``otpauth://`` URI for an
    authenticator app (a QR code of it, or the secret typed in). 409 when two-factor
    sign-in is already on."""
    if user.totp_enabled_at is not None:
        raise Problem(409, gettext("Conflict"), gettext("Two-factor sign-in is already on."))
    user.totp_secret = pyotp.random_base32()
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def check(user: User, code: str, now: datetime) -> bool:
    """Whether `code` is a current code of `user`'s secret, not used before; when it is,
    it is used up."""
    if not user.totp_secret:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    digits = code.strip().replace(" ", "")
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = totp.timecode(now) + offset
        if step <= (user.totp_last_step or -1):
            continue
        if pyotp.utils.strings_equal(digits, totp.generate_otp(step)):
            user.totp_last_step = step
            return True
    return False


def confirm(user: User, code: str, now: datetime) -> None:
    """Turn two-factor sign-in on with a first code from the new secret (422 if wrong)."""
    if user.totp_secret is None or user.totp_enabled_at is not None:
        raise Problem(
            409, gettext("Conflict"), gettext("Start setting up two-factor sign-in first.")
        )
    if not check(user, code, now):
        raise invalid("code", gettext("That code is not right; check the time on your device."))
    user.totp_enabled_at = now


def turn_off(user: User, code: str, now: datetime) -> None:
    """Turn two-factor sign-in off with a current code; staff may not (403)."""
    if user.staff_role is not None:
        raise Problem(
            403, gettext("Forbidden"), gettext("Operator staff must keep two-factor sign-in on.")
        )
    if user.totp_enabled_at is None:
        raise Problem(409, gettext("Conflict"), gettext("Two-factor sign-in is not on."))
    if not check(user, code, now):
        raise invalid("code", gettext("That code is not right; check the time on your device."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
