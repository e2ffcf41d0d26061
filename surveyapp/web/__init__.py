"""The web application: `create_app` and what every page shares."""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path

import flask_babel
from flask import Flask, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from surveyapp.questionnaire import wording
from surveyapp.questionnaire.loading import load_questionnaires
from surveyapp.questionnaire.model import translate
from surveyapp.store.connection import StoreUnavailable, close_db, connect, storage_fault
from surveyapp.store.migrations import check_current, migrate
from surveyapp.store.surveys import sync_questionnaire
from surveyapp.web import languages
from surveyapp.web.link_csrf import link_csrf_key
from surveyapp.web.widgets import option_list

DEFAULT_QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "questionnaires"
RETRY_AFTER_SECONDS = 10  # when to try again a change the database could not take
csrf = CSRFProtect()
compress = Compress()
babel = Babel()


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def _secret_key(instance_path: str) -> str:
    """Read the instance's secret key, generating it once on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def all_languages(questionnaires) -> tuple[str, ...]:
    """Return the languages of any of the questionnaires, the first survey's first."""
    return tuple(dict.fromkeys(code for q in questionnaires for code in q.languages)) or ("en",)


def create_app(
    test_config: dict | None = None, overrides: dict | None = None, upgrade: bool = False
) -> Flask:
    """Create the surveyapp Flask application over its database and questionnaires.

    Without ``test_config`` the settings come from ``instance/config.py`` and ``SURVEYAPP_*``
    environment variables; ``overrides`` (the command line's) apply last. A new database is
    built whole; one made by an earlier release is refused (``DatabaseOutdated``) unless
    ``upgrade`` is given, as `surveyapp init-db` does.
    """
    instance = os.environ.get("SURVEYAPP_INSTANCE")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.path.abspath(instance) if instance else None,
    )
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "surveyapp.db"),
        QUESTIONNAIRES=str(DEFAULT_QUESTIONNAIRES),
        BASE_URL="http://127.0.0.1:5000",
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_FORM_PARTS=500,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=24 * 3600,
        WTF_CSRF_SSL_STRICT=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_LEVEL=1,  # a fifth of the CPU of the default level, pages nearly as small
        COMPRESS_MIN_SIZE=1000,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        SIGN_IN_ATTEMPTS=5,
        SIGN_IN_WINDOW=15 * 60,
        LINK_ATTEMPTS=20,
        LINK_WINDOW=15 * 60,
        OPEN_LINK_STARTS=30,
        OPEN_LINK_WINDOW=3600,
        PROXY_FIX=0,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SURVEYAPP")
        if os.environ.get("SURVEYAPP_DB"):
            app.config["DATABASE"] = os.environ["SURVEYAPP_DB"]
    else:
        app.config.from_mapping(test_config)
    app.config.from_mapping(overrides or {})
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    app.extensions["link_csrf_key"] = link_csrf_key(app.config["SECRET_KEY"])
    questionnaires = load_questionnaires(app.config["QUESTIONNAIRES"])
    app.extensions["questionnaires"] = questionnaires
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    store = connect(app.config["DATABASE"])
    try:
        if upgrade:
            migrate(store)
        check_current(store, app.config["DATABASE"])
        for questionnaire in questionnaires.values():
            sync_questionnaire(store, questionnaire)
    finally:
        store.close()

    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX"], x_proto=1)
    app.session_interface = SessionInterface()
    app.teardown_appcontext(close_db)
    languages.compile_catalogues()
    babel.init_app(app, locale_selector=languages.locale)
    wording.use_translations(flask_babel.get_translations)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_filter(translate, "t")
    app.add_template_filter(languages.day, "day")
    app.jinja_env.globals["language_switch"] = languages.switch
    app.jinja_env.globals["quoted"] = wording.quoted
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["zip"] = zip
    app.jinja_env.globals["option_list"] = option_list
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    compress.init_app(app)
    from surveyapp.web import annex, auth, coding, crosstabs, respond, surveys

    app.register_blueprint(respond.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(surveys.bp)
    app.register_blueprint(coding.bp)
    app.register_blueprint(crosstabs.bp)
    app.register_blueprint(annex.bp)
    app.before_request(auth.load_evaluator)
    app.add_url_rule("/", "index", respond.index)

    @app.context_processor
    def page_language():
        """The language of the page, for `<html lang>` (templates given `lang` say it)."""
        return {"lang": g.get("language") or "en"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Show an HTTP error as a plain page, in the respondent's language off the workspace."""
        evaluator = request.path.startswith("/evaluate")
        if not evaluator and not g.get("language"):
            questionnaires = app.extensions["questionnaires"]
            survey = questionnaires.get((request.view_args or {}).get("survey_id"))
            offered = survey.languages if survey else all_languages(questionnaires.values())
            languages.use(languages.choose(offered), offered)
        page = render_template("error.html", error=error, evaluator=evaluator)
        return page, error.code

    @app.errorhandler(StoreUnavailable)
    @app.errorhandler(sqlite3.OperationalError)
    def store_unavailable(error):
        """Refuse a change the database cannot take now (full, read-only, locked): 503.

        Nothing of it was saved (its transaction is undone); the server goes on serving,
        and the same request succeeds once the cause is gone. Any other SQLite error is a
        fault of the app, and stays one.
        """
        fault = error
        if not isinstance(error, StoreUnavailable):
            fault = storage_fault(error, app.config["DATABASE"])
            if fault is None:
                raise error
        app.logger.warning("%s", fault)
        description = f"The change was not saved: {fault.reason}. Please try again in a moment."
        page, status = http_error(ServiceUnavailable(description=description))
        return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.after_request
    def security_headers(response):
        """Add the headers every page carries; pages with answers are never cached."""
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            " frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        return response

    return app
