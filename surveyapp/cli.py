"""The `surveyapp` command: set up the database, field surveys, export and import answers."""

from __future__ import annotations

import functools
import os
import secrets
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import pandas as pd

from exports._files import STDOUT, OutputError, check_output, replaced
from exports.csv import write_csv
from surveyapp.questionnaire.loading import load_questionnaire, questionnaire_warnings
from surveyapp.questionnaire.model import Questionnaire, QuestionnaireError
from surveyapp.report.command import report
from surveyapp.store import backup as backups
from surveyapp.store import evaluators
from surveyapp.store.connection import get_db, storage_fault
from surveyapp.store.invitations import create_invitations, new_tokens
from surveyapp.store.migrations import DatabaseOutdated, release_schema
from surveyapp.store.rates import BY_LANGUAGE, language_counts, response_rates
from surveyapp.store.responses import response_count
from surveyapp.store.surveys import change_schedule
from surveyapp.web import create_app


class Context:
    """The app a command works on, created on first use from the group's options."""

    def __init__(self, db_path: str | None, questionnaires: str | None):
        self.db_path = db_path
        self.questionnaires = questionnaires
        self.upgrade = False  # init-db upgrades a database made by an earlier release
        self._app = None

    @property
    def app(self):
        if self._app is None:
            config = {}
            if self.db_path:
                config["DATABASE"] = str(Path(self.db_path).resolve())
            if self.questionnaires:
                config["QUESTIONNAIRES"] = self.questionnaires
            try:
                self._app = create_app(None, overrides=config, upgrade=self.upgrade)
            except (QuestionnaireError, DatabaseOutdated) as error:
                raise click.ClickException(str(error)) from None
        return self._app

    def database(self) -> Path:
        """Return the database file the app opens, found without opening it.

        The same settings as `create_app`'s, in the same order: the instance folder's
        default, `instance/config.py`, SURVEYAPP_* variables, then --db (SURVEYAPP_DB).
        """
        if self.db_path:
            return Path(self.db_path).resolve()
        from flask import Flask

        instance = os.environ.get("SURVEYAPP_INSTANCE")
        settings = Flask(
            "surveyapp.web",
            instance_relative_config=True,
            instance_path=os.path.abspath(instance) if instance else None,
        )
        settings.config["DATABASE"] = os.path.join(settings.instance_path, "surveyapp.db")
        settings.config.from_pyfile("config.py", silent=True)
        settings.config.from_prefixed_env("SURVEYAPP")
        return Path(os.environ.get("SURVEYAPP_DB") or settings.config["DATABASE"]).resolve()

    def questionnaire(self, survey: str) -> Questionnaire:
        surveys = self.app.extensions["questionnaires"]
        if survey not in surveys:
            known = ", ".join(sorted(surveys))
            raise click.BadParameter(
                f"no survey '{survey}' (surveys: {known})", param_hint="SURVEY"
            )
        return surveys[survey]


def with_app(command):
    """Run a command inside the application context of the group's database."""

    @click.pass_obj
    @functools.wraps(command)
    def wrapper(context: Context, *args, **kwargs):
        with context.app.app_context():
            return command(context, *args, **kwargs)

    return wrapper


class OutputFile(click.ParamType):
    """The -o FILE of a command: '-' is standard output; checked before any work is done.

    Rules (exports._files): a symbolic link is written through, a device or pipe
    (/dev/stdout, a FIFO) is written in place, and a folder that does not exist is an
    error naming it: no folder is created, so a slip in its name is caught.
    """

    name = "file"

    def convert(self, value, param, ctx):
        try:
            check_output(value)
        except OutputError as error:
            self.fail(str(error), param, ctx)
        return value


OUTPUT = OutputFile()


def _binary_output(output: str) -> None:
    """Refuse binary content (XLSX, SAV) on a terminal, before any work is done."""
    try:
        check_output(output, binary=True)
    except OutputError as error:
        raise click.BadParameter(str(error), param_hint="'-o'") from None


def _shown(output: str) -> str:
    """Return where an output went, as told to the user."""
    return "standard output" if output == STDOUT else output


class Commands(click.Group):
    """The `surveyapp` commands; one that meets a database unable to take its change (the
    disk full, the file read-only, a write lock held too long) stops with the reason."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as error:
            context = ctx.find_object(Context)
            fault = storage_fault(error, _database(context))
            if fault is None:
                raise
            raise click.ClickException(str(fault)) from None


def _database(context: Context | None) -> str:
    """Return the database file a command works on, as told to the user."""
    if context is not None and context._app is not None:
        return context.app.config["DATABASE"]
    if context is not None and context.db_path:
        return str(Path(context.db_path).resolve())
    return "the database"


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    envvar="SURVEYAPP_DB",
    type=click.Path(dir_okay=False),
    help="SQLite database file [env SURVEYAPP_DB; default: instance/surveyapp.db].",
)
@click.option(
    "--questionnaires",
    envvar="SURVEYAPP_QUESTIONNAIRES",
    type=click.Path(file_okay=False),
    help="Folder of questionnaire YAML files [env SURVEYAPP_QUESTIONNAIRES].",
)
@click.version_option(package_name="surveyapp")
@click.pass_context
def main(ctx, db_path, questionnaires):
    """Field evaluation surveys online, export and import their answers."""
    ctx.obj = Context(db_path, questionnaires)


@main.command("init-db")
@click.pass_obj
def init_db(context: Context):
    """Create or upgrade the database and make the first evaluator account.

    Applies the migrations the database has not had yet and adds the columns of new
    questions; answers already collected are kept, and the migrations applied are named.
    `serve` and the other commands refuse a database that needs upgrading, until this has
    run, and refuse one made by a newer release. When no evaluator exists, creates one named
    admin with a random password, printed once.
    """
    try:
        to_apply = backups.pending_migrations(context.database())
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    context.upgrade = True
    with context.app.app_context():
        if to_apply:
            click.echo(f"migrations applied: {', '.join(to_apply)}")
        else:
            click.echo(f"database up to date: no migration to apply ({release_schema()})")
        _init_db(context)


@main.command("backup")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The backup file, or a folder to put a timestamped backup in.",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    help="With a folder: keep the newest N backups of this database there, delete the rest.",
)
@click.pass_obj
def backup_command(context: Context, output: Path, keep: int | None):
    """Copy the database while the server answers; check the copy and say what it holds.

    The copy is one moment of the database (SQLite's online backup API; respondents keep
    submitting meanwhile), passes PRAGMA integrity_check and holds as many rows in every
    table as the database did at that moment. It is written under a temporary name and
    renamed once checked, so a file by the backup's name is always whole. With a folder,
    the file is named after the database and the UTC time
    (surveyapp-2026-12-01T053000Z.db). Run it from cron or a systemd timer (README).
    """
    database = context.database()
    if str(output) == "-":
        raise click.BadParameter("a backup goes to a file or a folder", param_hint="'-o'")
    if output.is_dir():
        target = output / backups.backup_name(database, datetime.now(UTC))
    elif keep:
        raise click.UsageError(f"--keep needs -o FOLDER: {output} is not a folder")
    elif not output.parent.is_dir():
        raise click.BadParameter(f"{output.parent}: no such folder", param_hint="'-o'")
    else:
        target = output
    try:
        copy = backups.back_up(database, target)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up {database} to {target}, checked (integrity ok, rows equal):")
    click.echo(f"  {copy.describe()}")
    if copy.newer:
        click.echo(f"  made by a newer release of surveyapp ({', '.join(copy.newer)})")
    elif copy.pending:
        click.echo("  made by an earlier release: `surveyapp init-db` upgrades it")
    if keep:
        for removed in backups.prune(output, database, keep):
            click.echo(f"deleted {removed} (older than the newest {keep})")


@main.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def restore_command(context: Context, file: Path):
    """Put a backup in place of the database, after checking it; keep the file it replaces.

    The backup must pass PRAGMA integrity_check and be a surveyapp database that this
    release reads. Refused while `surveyapp serve` (or another program) uses the database:
    stop the server, restore, start it again. The database replaced is kept beside it
    (surveyapp.db.replaced-2026-12-01T053000Z). A backup made by an earlier release is put
    in place as it is; `surveyapp init-db` then upgrades it.
    """
    database = context.database()
    try:
        done = backups.restore(file, database)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {file} as {database}, checked (integrity ok):")
    click.echo(f"  {done.copy.describe()}")
    if done.replaced:
        click.echo(f"the database it replaced is kept as {done.replaced}")
    if done.copy.pending:
        click.echo(
            f"made by an earlier release: run `surveyapp init-db` to upgrade it"
            f" ({', '.join(done.copy.pending)}) before serving"
        )


def _init_db(context: Context):
    """Report the surveys and make the first evaluator account if there is none."""
    db = get_db()
    for survey in context.app.extensions["questionnaires"].values():
        count = response_count(db, survey.id)
        click.echo(f"survey {survey.id}: version {survey.version}, {count} responses")
    if not evaluators.evaluator_count(db):
        password = secrets.token_urlsafe(12)
        evaluators.add_evaluator(db, "admin", password)
        click.echo("Created evaluator account 'admin' with the password (shown only once):")
        click.echo(f"    {password}")
    click.echo(f"database: {context.app.config['DATABASE']}")


@main.command("add-evaluator")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@with_app
def add_evaluator_command(context: Context, name, password_stdin):
    """Add an evaluator account (or set a new password); the password is stored hashed."""
    name = name.strip()
    if not name or len(name) > 64:
        raise click.BadParameter("give a name of 1 to 64 characters", param_hint="NAME")
    try:
        evaluators.check_name(name)
    except evaluators.EvaluatorError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.BadParameter("the password needs at least 10 characters")
    added = evaluators.add_evaluator(get_db(), name, password)
    click.echo(f"evaluator '{name}' {'added' if added else 'updated'}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Server processes.  [default: one per CPU core]",
)
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Per process."
)
@click.pass_obj
def serve(context: Context, host, port, workers, threads):
    """Serve the questionnaires with the production server (gunicorn)."""
    import gc

    from surveyapp.server import serve_app

    app = context.app
    click.echo(f"Serving {', '.join(app.extensions['questionnaires'])} on http://{host}:{port}")
    # What is loaded by now (questionnaires, templates, libraries) lives as long as the
    # server: keep it out of the garbage collector's passes, and shared by the processes
    # forked from this one rather than copied into each.
    gc.collect()
    gc.freeze()
    serve_app(app, host, port, workers, threads)


LANGUAGE_KEYS = ("lang", "language")  # an --attr that gives the links' language


def _label_language(questionnaires: list[Questionnaire], language: str | None) -> str:
    """Return the language to label in (--lang, else the first survey's first language)."""
    from surveyapp.analysis.words import LanguageError, label_language

    try:
        return label_language(questionnaires, language)
    except LanguageError as error:
        raise click.BadParameter(str(error), param_hint="--lang") from None


def _lang_option(help_text: str):
    """Return the --lang option of the commands that label in a questionnaire language."""
    return click.option("--lang", "language", metavar="LANG", help=help_text)


def _attributes(values: tuple[str, ...]) -> dict:
    attributes = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{value}' is not KEY=VALUE", param_hint="--attr")
        attributes[key.strip()] = text.strip()
    return attributes


@main.command()
@click.argument("survey")
@click.option("--count", required=True, type=click.IntRange(1, 100_000), help="Links to make.")
@click.option(
    "--attr", "attrs", multiple=True, metavar="KEY=VALUE", help="Recorded on each link (repeat)."
)
@_lang_option("The links' language, one of the questionnaire's (--attr lang=LANG is the same).")
@click.option("-o", "--output", type=OUTPUT, help="CSV file ('-' or none: stdout).")
@click.option("--base-url", help="Start of the links [config BASE_URL, http://127.0.0.1:5000].")
@with_app
def invite(context: Context, survey, count, attrs, language, output, base_url):
    """Make single-use invitation links and write them as CSV.

    Only a hash of each link is stored, so this CSV is the only copy of the links: send
    them out from it. Attributes (--attr region=Africa) let you follow the response rate
    per group.

    --lang fr makes links that open the questionnaire in French (respondents can still
    switch); the language must be one of the questionnaire's. --attr lang=fr is the same
    as --lang fr: either way it is kept as the links' language, not as an attribute, and
    the CSV gets a column lang for the mail merge. status --by language counts the links
    by their language.
    """
    questionnaire = context.questionnaire(survey)
    attributes = _attributes(attrs)
    for key in LANGUAGE_KEYS:
        given = attributes.pop(key, None)
        if given and language and given != language:
            raise click.BadParameter(
                f"--attr {key}={given} and --lang {language} disagree", param_hint="--lang"
            )
        language = language or given
    if language:
        language = _label_language([questionnaire], language)
    columns = {**attributes, **({"lang": language} if language else {})}
    base = (base_url or context.app.config["BASE_URL"]).rstrip("/")
    tokens = new_tokens(count)
    rows = [[f"{base}/s/{survey}/{token}", *columns.values()] for token in tokens]
    # The CSV is the only copy of the links: it is put in place only once they are stored,
    # and nothing is stored if it cannot be written.
    with replaced(output or STDOUT) as partial:
        write_csv(pd.DataFrame(rows, columns=["link", *columns]), partial)
        create_invitations(get_db(), survey, count, attributes, tokens=tokens, language=language)
    if output:
        click.echo(f"{count} links for {survey} written to {_shown(output)}", err=True)


def _moment(value: str | None, param: str) -> str | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not a date such as 2026-11-02", param_hint=param
        ) from None
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()


@main.command()
@click.argument("survey")
@click.option("--opens", help="Opening date or date-time (UTC), e.g. 2026-11-02.")
@click.option("--closes", help="Closing date or date-time (UTC); closed from then on.")
@click.option("--no-dates", is_flag=True, help="Remove both dates: open now and until closed.")
@click.option(
    "--open-link/--no-open-link", default=None, help="Let anyone answer via /s/SURVEY/open."
)
@with_app
def schedule(context: Context, survey, opens, closes, no_dates, open_link):
    """Set when a survey takes answers and whether its open link works; show the result."""
    context.questionnaire(survey)
    db = get_db()
    changes = {}
    if no_dates:
        changes.update(opens=None, closes=None)
    if opens is not None:
        changes["opens"] = _moment(opens, "--opens")
    if closes is not None:
        changes["closes"] = _moment(closes, "--closes")
    if open_link is not None:
        changes["open_link"] = int(open_link)
    try:
        row = change_schedule(db, survey, changes)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    click.echo(
        f"{survey}: opens {row['opens'] or '-'}, closes {row['closes'] or '-'}, "
        f"open link {'on' if row['open_link'] else 'off'}"
    )


@main.command()
@click.argument("survey", required=False)
@click.option("--by", help="An invitation attribute to break the counts down by, or language.")
@with_app
def status(context: Context, survey, by):
    """Show invited, started, answered and the response rate of each survey.

    Responses are counted apart by where they came from: web (completed through an
    invitation link), imported (import-responses) and the open link. The rate is that of
    the invited population: (web + imported) / invited, e.g. (2 + 62) / 232 = 28%; answers
    through the open link are not in it, since nobody was invited to give them.

    --by language counts the links by their language (made with invite --lang, or chosen
    since by the respondent; (none): neither) with the responses imported in it, then
    every response by the language it was answered in: online (through a link or the
    open link alike) and imported; (none): not recorded.
    """
    surveys = [survey] if survey else list(context.app.extensions["questionnaires"])
    by = BY_LANGUAGE if by in LANGUAGE_KEYS else by
    line = "  {:<20} {:>7} {:>7} {:>7} {:>8} {:>9} {:>5} {:>9}"
    for name in surveys:
        context.questionnaire(name)
        click.echo(f"{name}: rate = (web + imported) / invited")
        header = ("group", "invited", "started", "web", "imported", "responded", "rate")
        click.echo(line.format("link language" if by == BY_LANGUAGE else header[0],
                               *header[1:], "open link"))  # fmt: skip
        for row in response_rates(get_db(), name, by):
            rate = f"{row['response_rate']:.0%}" if row["response_rate"] is not None else "-"
            counts = [row[key] for key in ("invited", "started", "completed", "imported")]
            counts += [row["responded"], rate, row["completed_open_link"]]
            click.echo(line.format(row["group"], *counts))
        if by == BY_LANGUAGE:
            _language_status(name)


def _language_status(survey: str):
    """Show a survey's responses by the language they were answered in."""
    click.echo(f"{survey}: responses by the language answered in")
    line = "  {:<20} {:>7} {:>8} {:>9}"
    click.echo(line.format("language", "web", "imported", "responses"))
    for row in language_counts(get_db(), survey):
        language = "(none)" if row["language"] is None else row["language"]
        click.echo(line.format(language, row["web"], row["imported"], row["responses"]))


@main.command()
@click.argument("survey")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "sav"]), default="csv", show_default=True
)
@click.option("-o", "--output", type=OUTPUT, help="File ('-' or none: stdout).")
@click.option("--labels", is_flag=True, help="Write choice labels instead of choice names.")
@_lang_option("Label in this language of the questionnaire [its first].")
@with_app
def export(context: Context, survey, fmt, output, labels, language):
    """Write the completed responses: one row each, one column per answer.

    The columns are response_id, language (the language the response was answered in:
    en, fr, es; empty when not recorded), then the answers. CSV and XLSX hold choice
    names (or labels with --labels, and the language's name); XLSX adds the data
    dictionary. SAV (SPSS, also read by Stata and R) carries variable labels and value
    labels. --lang fr writes every label in French: choices, questions, the dictionary,
    the language names.
    """
    from surveyapp.analysis.report_files import write_responses
    from surveyapp.store.responses import completed_responses

    questionnaire = context.questionnaire(survey)
    language = _label_language([questionnaire], language)
    if fmt != "csv" and not output:
        raise click.UsageError(f"a {fmt.upper()} file needs -o FILE.{fmt} (or -o - for a pipe)")
    if fmt != "csv":
        _binary_output(output)
    frame = completed_responses(get_db(), questionnaire)
    try:
        write_responses(frame, questionnaire, fmt, output or sys.stdout, labels, language)
    except ValueError as error:
        if fmt != "sav":
            raise
        raise click.ClickException(f"{survey}: no SPSS file written: {error}") from None
    if output:
        click.echo(f"{len(frame)} responses written to {_shown(output)}", err=True)


@main.command()
@click.argument("survey")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("-o", "--output", type=OUTPUT, help="File ('-' or none: stdout).")
@_lang_option("Label in this language of the questionnaire [its first].")
@with_app
def dictionary(context: Context, survey, fmt, output, language):
    """Write the data dictionary: what each export column holds.

    One row per export column: column,question,item,type,label,choices; response_id and
    language (the language answered in, its codes named) come first.
    """
    from surveyapp.questionnaire.dictionary import data_dictionary

    questionnaire = context.questionnaire(survey)
    language = _label_language([questionnaire], language)
    write_csv(data_dictionary(questionnaire, language), output or sys.stdout)


@main.command("import-responses")
@click.argument("survey")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--labels", is_flag=True, help="Choices are given by label (export --labels).")
@_lang_option("With --labels: the labels' language [the questionnaire's first].")
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Invitation attribute the responses answered under (repeat).",
)
@click.option(
    "--allow-duplicates", is_flag=True, help="Import rows with the same answers as another."
)
@with_app
def import_responses_command(
    context: Context, survey, file, labels, language, attrs, allow_duplicates
):
    """Import completed responses from a CSV in the export's format.

    Every value is checked as the web form checks it. A file with any problem is rejected
    whole, listing the line and column of each problem; nothing is imported. A file
    imported before (the same bytes) is refused, and so are rows with the same answers as
    a stored response or an earlier row, unless --allow-duplicates is given.

    An optional column language gives the language each response was answered in: one of
    the questionnaire's (en, fr, es; with --labels also its name), or empty when not known.
    export --labels --lang fr imports back with --labels --lang fr.

    Imported responses count toward the response rate of the invited population; --attr
    region=Africa counts them toward the group of links made with that attribute (split the
    file by group to import each with its own).
    """
    from surveyapp.response_import import ImportRejected, import_responses

    questionnaire = context.questionnaire(survey)
    language = _label_language([questionnaire], language)
    try:
        count = import_responses(
            get_db(),
            questionnaire,
            file,
            labels=labels,
            language=language,
            attributes=_attributes(attrs),
            allow_duplicates=allow_duplicates,
        )
    except ImportRejected as rejected:
        for problem in rejected.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{file}: rejected, nothing imported") from None
    click.echo(f"{count} responses imported into {survey}")


@main.command()
@click.argument("survey")
@click.option(
    "--links",
    "links_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The invitation CSV that invite wrote (a link column).",
)
@click.option("-o", "--output", type=OUTPUT, help="CSV file ('-' or none: stdout).")
@with_app
def remind(context: Context, survey, links_file, output):
    """Write the rows of an invitation CSV whose links have not been completed yet.

    The rows keep their columns (link, attributes, any added for a mail merge) and gain a
    column started (yes: some answers saved, not submitted). Links are matched by their
    hash; nothing is stored. A link unknown to this database, of another survey or given
    twice is reported and left out. Respondents whose answers were imported still count
    as not completed: their links cannot be told apart.
    """
    from surveyapp.reminders import RemindRejected, reminders
    from surveyapp.store.responses import imported_response_count

    context.questionnaire(survey)
    try:
        found = reminders(get_db(), survey, links_file)
    except RemindRejected as rejected:
        for problem in rejected.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{links_file}: no reminders written") from None
    for problem in found.not_kept:
        click.echo(problem, err=True)
    write_csv(found.rows, output or sys.stdout)
    click.echo(
        f"{survey}: {found.links} links read, {found.completed} completed,"
        f" {len(found.not_kept)} not kept; {len(found.rows)} to remind ({found.started} started)"
        f" written to {_shown(output or STDOUT)}",
        err=True,
    )
    imported = imported_response_count(get_db(), survey)
    if imported:
        click.echo(
            f"note: {imported} responses of {survey} were imported; their respondents' links"
            " cannot be told apart and are among those to remind",
            err=True,
        )


def _surveys(context: Context, value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        context.questionnaire(name)
    return names


def _open_question(context: Context, surveys: str, question: str):
    from surveyapp.analysis.open_answers import CodingError, OpenQuestion

    try:
        return OpenQuestion(
            get_db(),
            context.app.extensions["questionnaires"],
            question,
            _surveys(context, surveys),
        )
    except CodingError as error:
        raise click.BadParameter(str(error), param_hint="QUESTION") from None


def _k(value: str):
    if value == "auto":
        return "auto"
    try:
        k = int(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not a whole number or 'auto'", param_hint="--k"
        ) from None
    if k < 1:
        raise click.BadParameter("k must be at least 1", param_hint="--k")
    return k


class _ProgressOnStderr:
    """Say on stderr how far a clustering has got: each stage, and its progress every 2 s."""

    WORDS = {
        "embedding": "embedding: {done} of {total} answers",
        "comparing": "comparing the answers: k-means run {done} of {total}",
        "choosing": "choosing the number of clusters: trying {done}",
        "clustering": "making {total} clusters",
        "checking": "checking how steady the clusters are: other fit {done} of {total}",
        "naming": "naming {total} clusters",
        "saving": "saving the clustering",
    }

    def __init__(self):
        self.stage, self.said = None, 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        moment = time.monotonic()
        if stage == self.stage and moment - self.said < 2 and stage != "choosing":
            return
        self.stage, self.said = stage, moment
        words = self.WORDS.get(stage, stage).format(done=done, total=total)
        click.echo(words, err=True)


@main.command()
@click.argument("survey")
@click.argument("question")
@click.option("--k", "k", default="auto", show_default=True, help="Number of clusters, or auto.")
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Seed, for the same result again."
)
@click.option("-o", "--output", type=OUTPUT, help="CSV of answers ('-': stdout).")
@with_app
def cluster(context: Context, survey, question, k, seed, output):
    """Cluster the answers to an open question into proposed codes and store the proposal.

    SURVEY may name several surveys, as staff,constituents (in any order: the same
    answers and seed give the same clusters). Non-answers ("N/A", "none", "rien", "nada")
    are left out unless an evaluator put them back. Answers are embedded with
    all-MiniLM-L6-v2, or with the multilingual Universal Sentence Encoder when any is not
    in English (cached in the database, so a re-run with another k is quick) and
    clustered; the CSV has response_id,text,cluster,cluster_label (and survey first when
    several surveys are clustered together). Progress goes to stderr.
    """
    from surveyapp.analysis.open_answers import ClusteringError

    open_question = _open_question(context, survey, question)
    try:
        clustering_id, proposal = open_question.cluster(
            _k(k), seed, "cli", progress=_ProgressOnStderr()
        )
    except ClusteringError as error:
        raise click.ClickException(f"{survey} {question}: {error}") from None
    for notice in proposal.notices:
        click.echo(f"note: {notice}", err=True)
    frame = proposal.assignments.copy()
    frame.insert(0, "survey", [key[0] for key in frame.answer])
    frame.insert(1, "response_id", [key[1] for key in frame.answer])
    frame = frame.drop(columns="answer")
    if len(open_question.surveys) == 1:
        frame = frame.drop(columns="survey")
    if output:
        write_csv(frame, output)
    click.echo(
        f"clustering {clustering_id}: {len(frame)} answers in {len(proposal.clusters)} clusters"
        f" ({proposal.embedder}, {proposal.estimator.method})",
        err=True,
    )
    for item in proposal.clusters:
        click.echo(f"  {item['cluster']:>3} {item['size']:>5}  {item['label']}", err=True)


@main.command()
@click.argument("survey")
@click.argument("question")
@click.option(
    "--by",
    default="survey",
    show_default=True,
    help="survey, language, or a single-choice question.",
)
@click.option("--coder", help="Whose coding to count [the consensus, else the only coder].")
@click.option("--min-cell", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="Groups with fewer answers are suppressed.")  # fmt: skip
@_lang_option("Group labels in this language of the surveys [the first's first].")
@click.option("-o", "--output", type=OUTPUT, help="CSV file ('-' or none: stdout).")
@with_app
def codes(context: Context, survey, question, by, coder, min_cell, language, output):
    """Write the code frequency table: respondents per code, overall and per group.

    The CSV is tidy: code,group,respondents,base,share, where base is the number of
    respondents in the group who answered the question and share = respondents / base.
    A group with fewer than --min-cell answers is suppressed: its numbers are left empty.
    --by language groups by the language answered in; --lang fr labels the groups (and
    All) in French. The codes are the coder's own words, as written.
    """
    from coding.tidy import FREQUENCY_COLUMNS
    from surveyapp.analysis.groups import frequency_in
    from surveyapp.analysis.open_answers import CodingError

    open_question = _open_question(context, survey, question)
    questionnaires = context.app.extensions["questionnaires"]
    surveys = open_question.surveys
    language = _label_language([questionnaires[s] for s in surveys], language)
    coders = open_question.codebook.coders()
    consensus = open_question.codebook.consensus_progress()
    if coder is None and consensus is not None:
        coder = open_question.codebook.counting_coder()
        click.echo(
            f"counting the consensus coding of {consensus['coder_a']} and {consensus['coder_b']}",
            err=True,
        )
        unsettled = consensus["disagreements"] - consensus["settled"]
        if unsettled or consensus["pending"]:
            click.echo(
                f"  not in it yet: {unsettled} disagreements to settle and"
                f" {consensus['pending']} answers agreed on since it started",
                err=True,
            )
    elif coder is None:
        coders = [name for name in coders if name != "consensus"]
        if len(coders) != 1:
            found = ", ".join(coders) or "nobody has coded this question yet"
            raise click.UsageError(f"name the coder with --coder ({found})")
        coder = coders[0]
    try:
        table = open_question.frequency(coder, by, min_cell)
    except CodingError as error:
        raise click.BadParameter(str(error), param_hint="--by") from None
    table = frequency_in(table, questionnaires, surveys, by, language)
    write_csv(table[FREQUENCY_COLUMNS], output or sys.stdout)


@main.command("export-codes")
@click.argument("surveys", metavar="SURVEY[,SURVEY...]")
@click.argument("question")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "sav"]), default="csv", show_default=True
)
@click.option("--coder", help="Whose coding [the consensus, else the only coder].")
@click.option("-o", "--output", type=OUTPUT, help="File ('-' or none: stdout).")
@click.option("--dictionary", "dictionary_file", type=OUTPUT,
              help="Also write the variables' data dictionary here, as CSV.")  # fmt: skip
@with_app
def export_codes(context: Context, surveys, question, fmt, coder, output, dictionary_file):
    """Write the codes of an open question as variables: one 0/1 column per code.

    One row per response of each survey (survey, response_id: join it to the response
    export on both), then one column per code, named from the question and the code's id
    (constraints_c07) and labelled with the code's name: 1 = mentioned, 0 = not mentioned,
    empty = no answer, a non-answer, or not coded yet. The coding is the consensus when
    there is one, else the only coder's (--coder names another). XLSX adds a sheet "codes"
    describing each variable; SAV (SPSS, Stata, R) has variable and value labels.
    """
    from surveyapp.analysis.code_variables import code_variables
    from surveyapp.analysis.open_answers import CodingError

    open_question = _open_question(context, surveys, question)
    if fmt != "csv" and not output:
        raise click.UsageError(f"a {fmt.upper()} file needs -o FILE.{fmt} (or -o - for a pipe)")
    if fmt != "csv":
        _binary_output(output)
    try:
        variables = code_variables(open_question, coder)
    except CodingError as error:
        raise click.UsageError(str(error)) from None
    variables.write(fmt, output or sys.stdout)
    if dictionary_file:
        write_csv(variables.dictionary(), dictionary_file)
    whose = "the consensus coding" if variables.consensus else f"{variables.coder_}'s coding"
    click.echo(
        f"{len(variables.data_)} responses, {len(variables.codes_)} codes ({whose}) written"
        f" to {_shown(output or STDOUT)}",
        err=True,
    )


def _stat_option(help_text: str):
    """Return the --stat option of the crosstab and chart commands."""
    return click.option(
        "--stat",
        type=click.Choice(["distribution", "mean"]),
        default="distribution",
        show_default=True,
        help=help_text,
    )


def _crosstab_options(command):
    """Add the options shared by the crosstab and chart commands."""
    options = [
        click.option("--by", default="survey", show_default=True,
                     help="survey, language, a single-choice question such as region, or"
                     " code:QUESTION[@CODER]: the codes of an open question's answers"
                     " (overlapping groups: an answer with two codes counts in both)."),
        click.option("--banner", metavar='"BLOCK, BLOCK, ..."',
                     help="Blocks of columns side by side instead of --by, each SURVEY (the"
                     " survey as a whole) or SURVEY by QUESTION [except CHOICE...] (its"
                     ' groups), e.g. "staff, staff by region except global, constituents".'),
        click.option("--min-cell", default=5, show_default=True, type=click.IntRange(1, 1000),
                     help="Groups with fewer answers are suppressed (per block)."),
        click.option("--question", "questions", multiple=True,
                     help="Only this grid (repeat); default: every shared grid."),
        click.option("--weight", help="A numeric column holding each response's weight."),
        click.option("--poststratify", metavar="QUESTION|survey",
                     help="Weight responses so this question's shares match --shares."),
        click.option("--shares", metavar="NAME=SHARE,...",
                     help="Shares for --poststratify, e.g. staff=0.8,constituents=0.2."),
        _lang_option("Label in this language of every survey [the first's first]."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _make_crosstab(context, surveys, stat, by, banner, min_cell, questions, weight, poststratify,
                   shares, language):  # fmt: skip
    from surveyapp.analysis.survey_tables import CrosstabError, make_crosstab

    if banner is not None and by != "survey":
        raise click.UsageError("give either --by or --banner, not both")
    names = _surveys(context, surveys)
    language = _label_language([context.questionnaire(name) for name in names], language)
    try:
        return make_crosstab(
            get_db(), context.app.extensions["questionnaires"], names,
            by, stat, min_cell, list(questions), weight, poststratify, shares, language,
            banner=banner,
        )  # fmt: skip
    except CrosstabError as error:
        raise click.UsageError(str(error)) from None


@main.command()
@click.argument("surveys", metavar="SURVEY[,SURVEY...]")
@_stat_option("Answer shares per scale point, or the mean index.")
@_crosstab_options
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "md"]), default="csv", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=OUTPUT,
    help="File ('-' or none: stdout; xlsx needs -o, '-' for a pipe).",
)
@with_app
def crosstab(context, surveys, stat, by, banner, min_cell, questions, weight, poststratify,
             shares, language, fmt, output):  # fmt: skip
    """Cross-tabulate the grids shared by the surveys, by survey or by a profile question.

    With --stat distribution: counts and percentages of each answer per statement and group
    (percentages of the substantive answers; "Do not know" counted apart; the base n and the
    share who agree on rows of their own). With --stat mean: the mean rating per item and
    group with its n, as the report's Table 6. The CSV is tidy; XLSX has a sheet per question
    with labelled, formatted tables, then the raw responses and the data dictionary.
    --by language groups by the language answered in; --by code:constraints by the codes
    of the answers to constraints (the consensus coding, else the only coder's;
    code:constraints@ana names the coder), where All counts each respondent once. --lang fr
    writes every label, heading and note in French.

    --banner puts blocks of columns side by side, as Table 6 does: "staff, staff by
    region except global, constituents" gives staff as a whole, each staff region but
    headquarters, then constituents. Each block is tabulated on its own (minimum cell,
    weights and tests within it; no All row); the CSV gets a block column before group,
    and the mean table a header row of blocks over the groups.
    """
    from surveyapp.analysis.report_files import write_crosstab

    result = _make_crosstab(context, surveys, stat, by, banner, min_cell, questions, weight,
                            poststratify, shares, language)  # fmt: skip
    if fmt == "xlsx" and not output:
        raise click.UsageError("an XLSX file needs -o FILE.xlsx (or -o - for a pipe)")
    if fmt == "xlsx":
        _binary_output(output)
    write_crosstab(result, fmt, output or sys.stdout, get_db(),
                   context.app.extensions["questionnaires"])  # fmt: skip
    if output:
        click.echo(f"{len(result.tables)} tables written to {_shown(output)}", err=True)


@main.command()
@click.argument("surveys", metavar="SURVEY[,SURVEY...]")
@_stat_option("Diverging agreement bars, or a heat table of indices.")
@_crosstab_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=OUTPUT,
    help="FILE.png or FILE.svg; with several questions, one file each (FILE-QUESTION.png).",
)
@with_app
def chart(context, surveys, stat, by, banner, min_cell, questions, weight, poststratify, shares,
          language, output):  # fmt: skip
    """Draw charts of the cross-tabulation: diverging stacked bars or a heat table.

    --by language groups by the language answered in, --by code:constraints by the codes of
    the answers to constraints; --banner "staff, staff by region, constituents" draws those
    blocks side by side (the heat table with a header row of blocks, the bars grouped under
    each block); --lang fr labels the charts in French.
    """
    from surveyapp.analysis.report_files import draw_charts

    if output == STDOUT:
        raise click.BadParameter(
            "a chart is written to a file, FILE.png or FILE.svg, not to stdout", param_hint="-o"
        )
    if Path(output).suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter("the chart file must end in .png or .svg", param_hint="-o")
    result = _make_crosstab(context, surveys, stat, by, banner, min_cell, questions, weight,
                            poststratify, shares, language)  # fmt: skip
    for path in draw_charts(result, output):
        click.echo(f"chart written to {path}", err=True)


@main.command("import-xlsform")
@click.argument("form", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=OUTPUT, help="YAML file ('-' or none: stdout).")
def import_xlsform_command(form, output):
    """Convert an XLSForm (.xlsx or .xls, as KoboToolbox or ODK) into a questionnaire file.

    pyxform validates the form first. What the format cannot say is refused with the
    sheet, row and column; what is changed or left out (metadata, renamed ids, constraints
    not enforced) is listed on stderr. Nothing is written when the form is refused.
    """
    from exports._files import replaced
    from surveyapp.xlsform.errors import XLSFormError
    from surveyapp.xlsform.importing import import_xlsform, questionnaire_yaml

    try:
        survey, notes = import_xlsform(form)
    except XLSFormError as error:
        click.echo(f"{form}: {error}", err=True)
        sys.exit(1)
    for note in notes:
        click.echo(f"{form}: note: {note}", err=True)
    with replaced(output or STDOUT) as path:
        path.write_text(questionnaire_yaml(survey, Path(form).name), encoding="utf-8")
    questions = sum(len(page["questions"]) for page in survey["pages"])
    click.echo(
        f"survey '{survey['id']}' ({len(survey['pages'])} pages, {questions} questions) "
        f"written to {_shown(output or STDOUT)}",
        err=True,
    )


@main.command("export-xlsform")
@click.argument("survey")
@click.option("-o", "--output", type=OUTPUT, required=True,
              help="The XLSForm file, FORM.xlsx ('-': stdout, for a pipe).")  # fmt: skip
@with_app
def export_xlsform_command(context: Context, survey, output):
    """Write a survey's questionnaire as an XLSForm, for KoboToolbox or ODK Collect.

    Sheets survey, choices and settings, which pyxform converts without warning: pages
    as field-list groups, grids as table-list groups, rankings as rank, every language
    as label::English (en) and so on; a choice's value and missing are kept in the extra
    columns score and missing.
    """
    from exports._files import replaced
    from surveyapp.xlsform.errors import XLSFormError
    from surveyapp.xlsform.exporting import export_xlsform

    questionnaire = context.questionnaire(survey)
    _binary_output(output)
    try:
        with replaced(output, binary=True) as path:
            export_xlsform(questionnaire, path)
    except XLSFormError as error:  # a condition XLSForm cannot write
        raise click.ClickException(f"{survey}: no XLSForm written: {error}") from None
    click.echo(f"{survey}: XLSForm written to {_shown(output)}", err=True)


@main.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(files):
    """Validate questionnaire files without touching any database; print warnings too."""
    failed = False
    for file in files:
        try:
            questionnaire = load_questionnaire(file)
        except QuestionnaireError as error:
            click.echo(str(error), err=True)
            failed = True
            continue
        click.echo(
            f"{file}: ok: survey '{questionnaire.id}', {len(questionnaire.pages)} pages,"
            f" {len(questionnaire.questions)} questions, {len(questionnaire.columns())} columns"
        )
        for warning in questionnaire_warnings(questionnaire):  # valid, but likely a slip
            click.echo(f"{file}: warning: {warning}", err=True)
    if failed:
        sys.exit(1)


# The example that ends each command's --help, as sqlite-utils' do.
EXAMPLES = {
    None: "surveyapp init-db && surveyapp serve --port 8080",
    "init-db": "surveyapp init-db",
    "backup": "surveyapp backup -o /var/backups/surveyapp --keep 14",
    "restore": "surveyapp restore /var/backups/surveyapp/surveyapp-2026-12-01T053000Z.db",
    "add-evaluator": "surveyapp add-evaluator maria",
    "serve": "surveyapp serve --host 0.0.0.0 --port 8080",
    "invite": "surveyapp invite staff --count 30 --attr region=Africa --lang fr -o africa-fr.csv",
    "schedule": "surveyapp schedule staff --opens 2026-11-02 --closes 2026-11-23",
    "status": "surveyapp status staff --by language",
    "export": "surveyapp export staff --format sav --lang fr -o staff-fr.sav",
    "dictionary": "surveyapp dictionary staff --lang es -o staff-dictionary-es.csv",
    "import-responses": "surveyapp import-responses staff interviews.csv --attr region=Africa",
    "remind": "surveyapp remind staff --links africa.csv -o remind.csv",
    "cluster": "surveyapp cluster staff,constituents constraints --k 7 -o clusters.csv",
    "codes": "surveyapp codes staff,constituents constraints --by language --coder ana",
    "export-codes": "surveyapp export-codes staff,constituents constraints --format sav"
    " -o constraints-codes.sav",
    "crosstab": "surveyapp crosstab staff,constituents --stat mean"
    ' --banner "staff, staff by region except global, constituents" --format xlsx'
    " -o table6.xlsx",
    "chart": "surveyapp chart staff,constituents --stat mean --question priority_areas"
    ' --banner "staff, staff by region, constituents" -o figures/table6.png',
    "check": "surveyapp check questionnaires/staff.yaml",
    "export-xlsform": "surveyapp export-xlsform staff -o staff.xlsx",
    "import-xlsform": "surveyapp import-xlsform household.xlsx -o questionnaires/household.yaml",
}


def _add_examples():
    """End the group's and every command's help with its example ("\b" keeps the line)."""
    for name, command in [(None, main), *main.commands.items()]:
        command.epilog = f"Example:\n\n\b\n    {EXAMPLES[name]}"


_add_examples()
main.add_command(report)  # its example is its own epilog (surveyapp.report.command)

if __name__ == "__main__":
    main()
