"""Whole response bodies of both vendors, at their first import path:
``from pytest_densemark import payloads``. Synthetic data.

The bodies now live with each vendor (:mod:`pytest_densemark.vendors.facepp.payloads`,
:mod:`pytest_densemark.vendors.tencent.payloads`) and :class:`VendorResponse` in
:mod:`pytest_densemark.answers`; this module re-exports them (the same objects), so code and
docs written against the older flat layout keep working.
"""

from __future__ import annotations

from pytest_densemark.answers import VendorResponse
from pytest_densemark.vendors.facepp.payloads import (
    NO_FACE_FORMS,
    LandmarkFragments,
    NoFace,
    facepp_detect,
    facepp_detect_problems,
    facepp_error,
    facepp_error_response,
    facepp_landmark_fragments,
    facepp_reordered,
    facepp_request_id,
    facepp_success,
    join_landmark,
)
from pytest_densemark.vendors.tencent.payloads import (
    _tencent_envelope as _tencent_envelope,  # the strategies build their envelopes with it
)
from pytest_densemark.vendors.tencent.payloads import (
    tencent_error,
    tencent_error_response,
    tencent_request_id,
    tencent_success,
)

__all__ = [
    "NO_FACE_FORMS",
    "LandmarkFragments",
    "NoFace",
    "VendorResponse",
    "facepp_detect",
    "facepp_detect_problems",
    "facepp_error",
    "facepp_error_response",
    "facepp_landmark_fragments",
    "facepp_reordered",
    "facepp_request_id",
    "facepp_success",
    "join_landmark",
    "tencent_error",
    "tencent_error_response",
    "tencent_request_id",
    "tencent_success",
]
