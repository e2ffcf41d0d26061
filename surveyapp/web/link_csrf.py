"""CSRF tokens for questionnaire pages, bound to the respondent's link rather than a cookie.

A questionnaire page needs no session: the link itself says whose answers these are. So
its CSRF token signs the invitation and an expiry time with a key derived from the app's
secret key (HMAC-SHA256), and a respondent who came by an invitation link gets no cookie
at all. A token is good only for its own link, and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

EXPIRY = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() would take other scripts' too


def link_csrf_key(secret_key: str | bytes) -> bytes:
    """Return the key that signs page tokens, derived from (and never equal to) the app's."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, b"surveyapp questionnaire page csrf", hashlib.sha256).digest()


class LinkCSRF(CSRF):
    """WTForms CSRF whose token is `expiry.signature`, signed for one invitation.

    The form's meta gives `csrf_secret` (from `link_csrf_key`), `csrf_context` (the
    invitation, as text) and `csrf_time_limit` (seconds).
    """

    def setup_form(self, form):
        self.form_meta = form.meta
        return super().setup_form(form)

    def _signature(self, expires: int) -> str:
        message = f"{self.form_meta.csrf_context}|{expires}".encode()
        return hmac.new(self.form_meta.csrf_secret, message, hashlib.sha256).hexdigest()

    def generate_csrf_token(self, csrf_token_field) -> str:
        expires = int(time.time() + self.form_meta.csrf_time_limit)
        return f"{expires}.{self._signature(expires)}"

    def validate_csrf_token(self, form, field):
        expires, _, signature = (field.data or "").partition(".")
        if not EXPIRY.fullmatch(expires):
            raise ValidationError("The security check is missing.")
        expected = self._signature(int(expires)).encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            raise ValidationError("The security check failed.")
        if int(expires) < time.time():
            raise ValidationError("The security check expired.")
