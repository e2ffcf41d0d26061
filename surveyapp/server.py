"""The production server (gunicorn), and `surveyapp serve` run as a child process.

`surveyapp serve` runs gunicorn with one process per CPU core, each with a few threads
(the gthread worker). Python runs one thread at a time per process, so processes are what
put a second core to work; the threads keep a long request (clustering a thousand
answers, a big export) from holding up respondents. gunicorn's main thread in each process
watches idle keep-alive connections, and (from gunicorn 27) hands a connection whose request
is slow to arrive back to it rather than tie up a thread. The app is loaded once, before
the processes are forked from it.

`ServeProcess` starts `surveyapp serve` in a process group of its own, as the tests and
benchmarks need it: it waits until a page answers, stops it politely, or kills the server
and its workers at once (SIGKILL to the whole group), and reads the CPU time they used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from gunicorn.app.base import BaseApplication

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
    """Serve the app with gunicorn until stopped (SIGINT or SIGTERM)."""
    ProductionServer(app, server_options(host, port, workers, threads)).run()


# --- `surveyapp serve` as a child process, for tests and benchmarks --------------------


def surveyapp_command() -> list[str]:
    """Return the command that runs `surveyapp` from this interpreter's environment."""
    script = Path(sys.executable).parent / "surveyapp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "surveyapp"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServeProcess:
    """`surveyapp serve` on 127.0.0.1 over a database and instance folder of its own."""

    def __init__(self, folder: Path, port: int | None = None, options: tuple[str, ...] = ()):
        self.folder = Path(folder)
        self.db = self.folder / "surveyapp.db"
        self.port = port or free_port()
        self.options = tuple(options)  # more `surveyapp` options, e.g. --questionnaires
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SURVEYAPP_INSTANCE": str(self.folder / "instance")}
        for name in ("SURVEYAPP_DB", "SURVEYAPP_QUESTIONNAIRES"):
            self.env.pop(name, None)
        self.log = self.folder / "serve.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.reaped_cpu = 0.0  # CPU seconds of server runs that have ended

    def command(self, *args: str) -> list[str]:
        return [*surveyapp_command(), "--db", str(self.db), *self.options, *args]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run a surveyapp command on this database and return what it printed."""
        done = subprocess.run(  # noqa: S603 - our own command, no shell
            self.command(*args),
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"surveyapp {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, serve_options: tuple[str, ...] = (), timeout: float = 60.0, probe="/"):
        """Start serving and wait until the page at `probe` answers."""
        command = self.command("serve", "--host", "127.0.0.1", "--port", str(self.port))
        with self.log.open("a") as log:
            log.write(f"--- start {self.starts + 1}\n")
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own command, no shell
                [*command, *serve_options],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: the workers die with it
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped at start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + probe, timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:  # refused, reset, or an HTTP error (URLError is an OSError)
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _signal_group(self, signum: int):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def kill(self):
        """Kill the server and its workers at once (SIGKILL): no clean-up of any kind."""
        if self.process is None:
            return
        self._account_cpu()
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._wait_for_group()

    def stop(self):
        """Stop the server politely (SIGTERM), or kill it after 30 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._account_cpu()
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=30)
        self._wait_for_group()

    def _wait_for_group(self, timeout: float = 10.0):
        """Wait until no process of the server's group is left (workers exit after it)."""
        deadline = time.monotonic() + timeout
        while self._group() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._signal_group(signal.SIGKILL)

    def _group(self) -> dict[int, list[str]]:
        """Return the fields of /proc/PID/stat (after the name) of each live process in the
        server's group, by process id."""
        found = {}
        for folder in Path("/proc").iterdir():
            if not folder.name.isdigit():
                continue
            try:
                fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid and fields[0] != "Z":
                found[int(folder.name)] = fields
        return found

    def _account_cpu(self):
        self.reaped_cpu = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) the server's processes have used so far.

        Counts every process of the group, and the workers that ended and were reaped by
        the server; the runs before a kill or stop are included too.
        """
        if not self.running():
            return self.reaped_cpu
        ticks = 0
        for pid, fields in self._group().items():
            ticks += int(fields[11]) + int(fields[12])
            if pid == self.process.pid:
                ticks += int(fields[13]) + int(fields[14])  # its reaped children
        return self.reaped_cpu + ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def tracebacks(self) -> int:
        """Return how many tracebacks the server has logged."""
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count("Traceback (most recent call last)")
