"""The emulator's vendor-specific settings: one settings object per vendor per emulator,
made by the vendor's engine, and the emulator methods that forward to it.

Face++ keeps its face tokens there, Tencent its no-face answer and point profile; the
emulator keeps their public names (:meth:`VendorSettings.register_face_token`,
:meth:`VendorSettings.set_tencent_no_face`, :attr:`VendorSettings.profile`), each forwarded
to whichever vendor's settings object has it, so the core names no vendor. A vendor added
later has its settings reached with :meth:`VendorSettings.vendor_settings`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pytest_densemark import vendors
from pytest_densemark.faults import check_vendor

if TYPE_CHECKING:
    from pytest_densemark.faces import Face
    from pytest_densemark.vendors.tencent.facts import PointProfile

__all__ = ["VendorSettings"]


class VendorSettings:
    """The emulator's methods over its vendors' own settings (a part of
    :class:`~pytest_densemark.emulator.Emulator`).

    ``_options`` holds the emulator's vendor options (``tencent_no_face``, ``profile``) that
    each engine's ``settings()`` reads; ``_vendor_settings`` the objects, by vendor name, each
    made when first used.
    """

    _lock: threading.RLock
    _options: dict[str, Any]
    _vendor_settings: dict[str, Any]

    def _new_vendor_settings(self) -> dict[str, Any]:
        return {
            vendor.name: vendor.engine.settings(self._options, where="Emulator")
            for vendor in vendors.all_vendors()
            if vendor.provides("engine")  # a vendor the emulator cannot answer has no settings
        }

    def vendor_settings(self, vendor: str) -> Any:
        """This emulator's settings object for ``vendor`` (its own state, such as Face++ face
        tokens), as that vendor's engine made it; the vendor-specific methods here forward
        to it."""
        check_vendor(vendor, allow_any=False)
        return self._settings_of(vendors.get(vendor))

    def _settings_of(self, vendor: vendors.Vendor) -> Any:
        settings = self._vendor_settings.get(vendor.name)
        if settings is None:  # made on first use (a test uses one vendor, or none)
            with self._lock:
                settings = self._vendor_settings.setdefault(
                    vendor.name, vendor.engine.settings(self._options, where="Emulator")
                )
        return settings

    def _vendor_owning(self, name: str) -> Any:
        """The vendor settings object that has the attribute ``name``."""
        for vendor in vendors.all_vendors():
            if vendor.provides("engine"):
                settings = self._settings_of(vendor)
                if hasattr(settings, name):
                    return settings
        raise AttributeError(f"no registered vendor's emulator settings provide {name!r}")

    def _vendor_api(self, name: str) -> Any:
        return getattr(self._vendor_owning(name), name)

    @property
    def profile(self) -> PointProfile:
        """The points per Tencent list (default: the kit's assumed 888-point profile); kept
        across :meth:`reset`."""
        profile: PointProfile = self._vendor_api("profile")
        return profile

    @profile.setter
    def profile(self, profile: PointProfile) -> None:
        with self._lock:
            self._options["profile"] = profile
            self._vendor_owning("profile").profile = profile

    def set_tencent_no_face(self, answer: str) -> None:
        """Choose what Tencent answers for an image without a face: ``"error"`` or ``"empty"``.

        Both are documented: ``"error"`` is the action's ``InvalidParameterValue.NoFaceInPhoto``
        error envelope (the default), ``"empty"`` a success whose ``DenseFaceShapeSet`` is
        ``[]``, the shape of the vendor doc's own output example (the kit's body still carries
        ``FaceModelVersion``, so it stays schema-valid). A client should handle both, so test
        it with both. Face++ is not affected: it always answers 200 with no ``face``.
        :meth:`reset` returns to the constructor's ``tencent_no_face``.
        """
        with self._lock:
            self._vendor_api("set_tencent_no_face")(answer)

    @property
    def tencent_no_face(self) -> str:
        """What Tencent answers for a faceless image now: ``"error"`` or ``"empty"``."""
        answer: str = self._vendor_api("tencent_no_face")
        return answer

    def register_face_token(self, face_token: str, face: Face | None) -> None:
        """Make a Face++ ``face_token`` known, answering with ``face`` (``None``: no face).

        Unregistered tokens get ``INVALID_FACE_TOKEN: <face_token>``. Tokens registered here
        never expire; the ones ``POST /facepp/v3/detect`` issues expire 72 hours later on
        :attr:`clock` (see :meth:`set_clock`).
        """
        with self._lock:
            self._vendor_api("register_face_token")(face_token, face)
