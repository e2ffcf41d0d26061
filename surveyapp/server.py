"""The production server: gunicorn with one process per CPU core, a few threads in each.

`surveyapp serve` runs gunicorn with one process per CPU core, each with a few threads
(the gthread worker). Python runs one thread at a time per process, so processes are what
put a second core to work; the threads keep a long request (clustering a thousand
answers, a big export) from holding up respondents. gunicorn's main thread in each process
watches idle keep-alive connections, and (from gunicorn 27) hands a connection whose request
is slow to arrive back to it rather than tie up a thread. The app is loaded once, before
the processes are forked from it.

While it serves, the server holds the serving lock beside its database
(`store.backup.serving`): `surveyapp restore` refuses to replace a database in use.

(`surveyapp.testing.ServeProcess` runs `surveyapp serve` as a child process for the tests
and benchmarks.)
"""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

from surveyapp.store.backup import serving

KEEP_ALIVE_SECONDS = 5  # an idle respondent's connection is kept this long for the next page


def server_options(host: str, port: int, workers: int | None, threads: int) -> dict:
    """Return gunicorn's settings for serving on host:port."""
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": address,
        "workers": workers or os.cpu_count() or 1,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "keepalive": KEEP_ALIVE_SECONDS,
        # A worker's main thread reports in even while its threads run long requests.
        "timeout": 60,
        "graceful_timeout": 20,
        "proc_name": "surveyapp",
        "errorlog": "-",
        "accesslog": None,  # no log line per request: nothing in it would identify answers
        # Which proxy is trusted, and for what, is decided in one place: PROXY_FIX.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "control_socket_disable": True,
    }


class ProductionServer(BaseApplication):
    """gunicorn serving an app that is already created, with settings given as a dict."""

    def __init__(self, app, options: dict):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def serve_app(app, host: str, port: int, workers: int | None, threads: int):
    """Serve the app with gunicorn until stopped (SIGINT or SIGTERM), holding the serving lock."""
    with serving(app.config["DATABASE"]):
        ProductionServer(app, server_options(host, port, workers, threads)).run()
