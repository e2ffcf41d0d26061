"""Where an output goes: standard output, a device or pipe, or a file replaced whole.

Every writer (CSV, XLSX, SAV, Markdown, charts) writes through ``replaced``, and the
command line checks its ``-o`` option with ``check_output`` before any work is done:

- ``-`` is standard output; binary content (XLSX, SAV, PNG) is refused on a terminal;
- a path that exists and is not a regular file (a character device such as
  ``/dev/null``, a FIFO) or that names an open file descriptor (``/dev/stdout``,
  ``/dev/fd/1``, ``/proc/self/fd/1``) is written directly, never replaced;
- any other path (a new file, a regular file, a symbolic link to one) is replaced whole:
  the content is written beside the file under a temporary name and renamed over it, so a
  reader never sees it half-written. A symbolic link is written through: the file it
  points to is replaced, and the link stays a link;
- a folder that does not exist is an error naming it: no folder is created, so that a
  typing slip (``-o figurs/a.png``) is caught rather than starting a new folder.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STDOUT = "-"
_MAX_LINKS = 40


class OutputError(ValueError):
    """An output that cannot be written as asked, said in plain words."""


def _names_a_descriptor(path: str) -> bool:
    """Whether the path reaches an open descriptor (/dev/stdout, /dev/fd/1, /proc/self/fd/1)."""
    current = os.path.abspath(path)
    for _ in range(_MAX_LINKS):
        if os.path.realpath(os.path.dirname(current)).startswith("/proc/"):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return False


def _written_directly(path: str) -> bool:
    """Whether the path is a device, a pipe or a descriptor, written in place."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) or _names_a_descriptor(path)


def check_output(target: str | os.PathLike, binary: bool = False) -> None:
    """Raise OutputError if the target cannot be written: see the module's rules."""
    if str(target) == STDOUT:
        if binary and sys.stdout.isatty():
            raise OutputError(
                "this file is binary: redirect standard output to a file or a pipe,"
                " or give -o FILE"
            )
        return
    path = os.fspath(target)
    if os.path.isdir(path):
        raise OutputError(f"'{path}' is a folder: give a file name")
    if _written_directly(path):
        return
    real = Path(os.path.realpath(path))
    folder = real.parent if os.path.islink(path) else Path(path).parent
    if not real.parent.is_dir():
        raise OutputError(f"folder '{folder}' does not exist: create it first")
    if not os.access(real.parent, os.W_OK):
        raise OutputError(f"folder '{folder}' is not writable")


def _copy(source: Path, stream) -> None:
    """Copy a finished file's bytes to an open binary stream."""
    with source.open("rb") as handle:
        shutil.copyfileobj(handle, stream)
    stream.flush()


@contextmanager
def replaced(target: str | os.PathLike, binary: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success its content goes to the target.

    ``target`` is ``-`` for standard output or a path, handled as the module says;
    ``binary`` content is refused on a terminal. Raises OutputError (a ValueError) for a
    target that cannot be written. Nothing is left behind, whether writing succeeds or not.
    """
    check_output(target, binary)
    path = os.fspath(target)
    if path == STDOUT or _written_directly(path):
        with tempfile.TemporaryDirectory(prefix="surveyapp-") as folder:
            partial = Path(folder) / (Path(path).name or "output")
            yield partial
            if path == STDOUT:
                sys.stdout.flush()
                _copy(partial, sys.stdout.buffer)
            else:
                with open(path, "wb") as stream:
                    _copy(partial, stream)
        return
    real = Path(os.path.realpath(path))
    partial = real.with_name(f".{real.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        if real.exists():
            shutil.copymode(real, partial)
        partial.replace(real)
    finally:
        partial.unlink(missing_ok=True)
