"""Every vendor's payload rules keep the contract the core relies on, and the core modules that
use them stay vendor-neutral: the toy vendor of the tests (:mod:`toyvendor`), registered here,
is validated, detected and listed like the kit's own."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import toyvendor
from hypothesis import HealthCheck, given, settings
from toyvendor.check import ToyPayloads
from vendor_contracts import registered_toy

import pytest_densemark
from pytest_densemark import render, schemas, strategies, validation, vendors
from pytest_densemark.render import PayloadDrawing
from pytest_densemark.strategies import VendorStrategies
from pytest_densemark.validation import (
    PayloadRules,
    SemanticCheck,
    detect_kind,
    load_schema,
    schema_path,
    validate,
)
from pytest_densemark.vendors.facepp.check import RULES as FACEPP_RULES
from pytest_densemark.vendors.tencent.check import RULES as TENCENT_RULES

# mypy checks that the kit's own rules implement the protocols.
_TYPED: tuple[PayloadRules, ...] = (FACEPP_RULES, TENCENT_RULES)
_DRAWINGS: tuple[PayloadDrawing, ...] = tuple(rules.drawing for rules in _TYPED)
_STRATEGIES: tuple[VendorStrategies, ...] = tuple(rules.strategies for rules in _TYPED)


def _with_rules() -> Iterator[tuple[vendors.Vendor, PayloadRules]]:
    for vendor in vendors.all_vendors():
        try:
            rules: PayloadRules = vendor.payloads
        except NotImplementedError:
            continue
        yield vendor, rules


RULES = [pytest.param(rules, id=vendor.name) for vendor, rules in _with_rules()]


def test_the_kit_s_vendors_provide_payload_rules() -> None:
    assert [vendor.name for vendor, _ in _with_rules()][:2] == ["facepp", "tencent"]


def test_kinds_are_unique_and_listed_in_registry_order() -> None:
    every = [kind for _, rules in _with_rules() for kind in rules.kinds]
    assert len(every) == len(set(every))
    assert validation.kinds() == validation.KINDS == tuple(every)


@pytest.mark.parametrize("rules", RULES)
def test_each_kind_has_its_shipped_schema(rules: PayloadRules) -> None:
    assert rules.kinds
    for kind in rules.kinds:
        assert schema_path(kind) == rules.schema_dir / f"{kind}.schema.json"
        assert rules.build_schema(kind) == load_schema(kind)
        assert schemas.build_schema(kind) == load_schema(kind)


@pytest.mark.parametrize("rules", RULES)
def test_checks_are_callables_or_none(rules: PayloadRules) -> None:
    for kind in rules.kinds:
        fast = rules.fast_check(kind)
        assert fast is None or fast({}) is False  # an empty object is no valid payload
        defs = load_schema(kind).get("$defs", {})
        for ref, check in rules.ref_shortcuts(kind).items():
            assert ref.removeprefix("#/$defs/") in defs, ref
            assert callable(check)
        semantic: SemanticCheck | None = rules.semantic_check(kind)
        assert semantic is None or callable(semantic)


@pytest.mark.parametrize("rules", RULES)
def test_detect_claims_only_its_own_kinds(rules: PayloadRules) -> None:
    assert rules.detect({}) is None
    assert rules.detect({"unrelated": 1}) is None
    assert isinstance(rules.detect_rank, int)
    assert isinstance(rules.shape_hint, str)
    assert rules.shape_hint in str(validate([]).violations[0])


@pytest.mark.parametrize("rules", RULES)
def test_drawing_declines_what_is_not_its_own(rules: PayloadRules) -> None:
    drawing = rules.drawing
    assert drawing.landmarks({}) is None
    assert drawing.shape_hint
    with pytest.raises(render.RenderError, match="not a landmark payload") as caught:
        render.landmark_polylines({})
    assert drawing.shape_hint in str(caught.value)


@pytest.mark.parametrize("rules", RULES)
def test_strategy_limits(rules: PayloadRules) -> None:
    vendor = rules.strategies
    low, high = vendor.image_sides
    assert 0 < low < high
    assert 0 < vendor.smallest_face((640, 480)) < 480


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("success", [True, False], ids=["success", "error"])
def test_answers_are_valid_and_the_vendor_s_own(rules: PayloadRules, success: bool) -> None:
    vendor = rules.strategies
    answers = vendor.success_answers() if success else vendor.error_answers()

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(answers)
    def check(answer: Any) -> None:
        body = answer.body
        if not isinstance(body, dict):
            return  # a documented plain-text error: no schema
        assert rules.detect(body) in rules.kinds
        assert detect_kind(body) in rules.kinds
        result = validate(body)
        assert result, str(result)
        if success:
            assert answer.status == 200
            assert rules.drawing.landmarks(body) is not None

    check()


# --------------------------------------------------------------------------- a toy vendor


@pytest.fixture
def toy() -> Iterator[PayloadRules]:
    """The toy vendor of the tests (:mod:`toyvendor`), registered for one test."""
    with registered_toy() as vendor:
        rules: PayloadRules = vendor.payloads
        yield rules


def test_a_registered_vendor_s_payloads_are_validated(toy: PayloadRules) -> None:
    assert validation.KINDS[-2:] == toy.kinds == ("toy", "toy-error")
    assert detect_kind({"points": []}) == "toy"
    point = {"x": 1, "y": 2}
    assert validate({"request_id": "r", "points": [point]})
    body = {"request_id": "r", "points": [point, {"x": 700, "y": 2}], "extra": 1}
    result = validate(body, image_size=(640, 480))
    assert [str(v) for v in result.violations] == [
        "(root): unexpected key extra",
        "points[1]: point (700, 2) lies outside the 640x480 image",
    ]
    message = str(validate([]).violations[0])
    assert f'a Tencent {{"Response": ...}} envelope or {toy.shape_hint}' in message
    lines, _, _ = render.landmark_polylines({"points": [point, {"x": 3, "y": 4}]})
    assert lines == [([(1, 2)], False), ([(3, 4)], False)]


def test_an_unregistered_vendor_s_kinds_are_gone(toy: PayloadRules) -> None:
    assert "toy" in validation.kinds()
    vendors.unregister("toy")
    assert "toy" not in validation.kinds()
    with pytest.raises(ValueError, match="unknown kind 'toy'"):
        validate({}, "toy")


class _NoStrategies(ToyPayloads):
    """The toy's payload rules without strategies."""

    @property
    def strategies(self) -> VendorStrategies:
        raise NotImplementedError


def test_vendors_without_strategies_are_not_offered(toy: PayloadRules) -> None:
    assert strategies.image_sizes("toy") is not None  # the toy has strategies
    vendors.register(
        vendors.Vendor(
            name="toy",
            title="Toy",
            owns_host=toyvendor.VENDOR.owns_host,
            claims_request=toyvendor.VENDOR.claims_request,
            payloads=_NoStrategies(),
        )
    )
    with pytest.raises(Exception, match="must be 'facepp' or 'tencent'"):
        strategies.image_sizes("toy")


# --------------------------------------------------------------------------- vendor-neutral core

#: The core modules behind the payloads concern: they reach vendors only through the registry.
CORE = ("validation", "_schema_walk", "schemas", "strategies", "render", "_cmd_render",
        "_cmd_validate", "_cli_io")  # fmt: skip


def _vendor_names_used(tree: ast.AST) -> list[str]:
    """Vendor names compared with ``==``/``in`` or used as dict keys in the code."""
    names = set(vendors.names())
    found: list[str] = []
    for node in ast.walk(tree):
        constants: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            constants = [node.left, *node.comparators]
        elif isinstance(node, ast.Dict):
            constants = [key for key in node.keys if key is not None]
        found.extend(c.value for c in constants if isinstance(c, ast.Constant) and c.value in names)
    return found


@pytest.mark.parametrize("module", CORE)
def test_core_modules_do_not_branch_on_a_vendor_s_name(module: str) -> None:
    path = Path(pytest_densemark.__file__).parent / f"{module}.py"
    assert _vendor_names_used(ast.parse(path.read_text(encoding="utf-8"))) == []
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600


def test_the_scan_sees_a_vendor_name_branch() -> None:
    assert _vendor_names_used(ast.parse('if vendor == "facepp": pass')) == ["facepp"]
    assert _vendor_names_used(ast.parse('{"tencent": 1}')) == ["tencent"]


def test_schema_files_are_the_generated_text() -> None:
    for kind in validation.kinds():
        text = schema_path(kind).read_text(encoding="utf-8")
        assert json.loads(text) == schemas.build_schema(kind)
