"""Evaluators sign in and out; every evaluator page requires it; attempts are throttled."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField, validators

from surveyapp.store.connection import get_db
from surveyapp.store.evaluators import evaluator_by_id, evaluator_named
from surveyapp.web.throttling import address_key, count_failure, forget, too_many

bp = Blueprint("auth", __name__, url_prefix="/evaluate")
# Compared against when the name is unknown, so that both cases take the same time.
_UNKNOWN_HASH = generate_password_hash("no evaluator has this password")


class SignInForm(FlaskForm):
    """The evaluator's name and password."""

    name = StringField(
        lazy_gettext("Name"), [validators.InputRequired(), validators.Length(max=64)]
    )
    password = PasswordField(
        lazy_gettext("Password"), [validators.InputRequired(), validators.Length(max=256)]
    )


def _throttle_keys(name: str) -> list[str]:
    return [f"sign-in:name:{name.lower()}", address_key("sign-in")]


def _safe_next(target: str | None) -> str:
    """Return a local path to go to after signing in, never another site."""
    parts = urlsplit(target or "")
    local = target and target.startswith("/") and not target.startswith("//")
    if local and not parts.scheme and not parts.netloc and "\\" not in target:
        return target
    return url_for("surveys.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Sign an evaluator in."""
    form = SignInForm()
    error, status = None, 200
    if form.validate_on_submit():
        name = form.name.data.strip()
        keys = _throttle_keys(name)
        if too_many(keys, "SIGN_IN_ATTEMPTS", "SIGN_IN_WINDOW"):
            minutes = current_app.config["SIGN_IN_WINDOW"] // 60
            error = gettext(
                "Too many failed attempts. Please wait %(minutes)s minutes.", minutes=minutes
            )
            status = 429
        else:
            found = evaluator_named(get_db(), name)
            stored = found["password_hash"] if found else _UNKNOWN_HASH
            if check_password_hash(stored, form.password.data) and found:
                session.clear()
                session.permanent = True
                session["evaluator_id"] = found["id"]
                forget(keys[0])
                return redirect(_safe_next(request.args.get("next")))
            count_failure(keys)
            error, status = gettext("The name or password is not right."), 401
    elif request.method == "POST":
        error, status = (
            gettext("Please give your name and password (and reload the page if it is old)."),
            400,
        )
    return render_template("auth/sign_in.html", form=form, error=error), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """Sign the evaluator out."""
    session.clear()
    return redirect(url_for("auth.sign_in"))


def load_evaluator():
    """Put the signed-in evaluator, if any, on `g.evaluator`."""
    evaluator_id = session.get("evaluator_id")
    g.evaluator = None
    if evaluator_id is not None:
        g.evaluator = evaluator_by_id(get_db(), evaluator_id)


def login_required(view):
    """Send anyone who is not a signed-in evaluator to the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("evaluator") is None:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped
