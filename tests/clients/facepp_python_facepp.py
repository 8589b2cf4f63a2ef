"""Face++ through python-facepp (``facepplib``, on PyPI), as its README shows it."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from facepplib import FacePP, exceptions


def _reason(error: Exception) -> str:
    """The vendor's error name for one of the library's exception classes."""
    for by_reason in exceptions.exception_table.values():
        for table in by_reason:
            for reason, kind in table.items():
                if kind is type(error):
                    return str(reason)
    return type(error).__name__


def landmarks(image: bytes, key: str, secret: str) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "face.jpg")
        with open(path, "wb") as handle:
            handle.write(image)
        app = FacePP(api_key=key, api_secret=secret)
        try:
            faces = list(app.face.filter(image_file=path, return_landmark="all"))
        except exceptions.BaseFacePPError as error:  # one class per vendor error
            return {"error_message": _reason(error)}
    return {"face": {"landmark": faces[0].landmark}} if faces else {"face": None}
