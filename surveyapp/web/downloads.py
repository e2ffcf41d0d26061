"""Files the workspace hands to the evaluator's browser."""

from __future__ import annotations

from flask import Response


def attachment(body: bytes | str, mimetype: str, name: str) -> Response:
    """Return a file to download under `name` (names are ids and codes: plain ASCII)."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
