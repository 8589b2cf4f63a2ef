"""The manual's lists of vendor names are the vendor facts, never copied by hand.

The tables between ``<!-- generated from ... -->`` and ``<!-- end generated -->`` in
``docs/vendor-facts.md`` must equal what :func:`tables` renders from ``pytest_densemark.facepp``
and ``pytest_densemark.tencent``; the strategies page documents every parameter of every
public strategy, and the parameters follow Hypothesis's API style.
"""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path

import pytest

from pytest_densemark import facepp, strategies, tencent

ROOT = Path(__file__).resolve().parents[2]
_GENERATED = re.compile(r"<!-- generated from ([^>]*?) -->\n(.*?)<!-- end generated -->", re.S)


def tables() -> dict[str, str]:
    """Each generated table's marker text and its content, from the vendor facts."""
    tencent_rows = [
        "| point list | points in `KIT_PROFILE` (assumed) |",
        "|---|---:|",
        *(f"| `{name}` | {tencent.KIT_PROFILE.counts[name]} |" for name in tencent.POINT_LISTS),
        f"| total | {tencent.KIT_PROFILE.total} |",
    ]
    facepp_rows = ["| part | keys | points |", "|---|---|---:|"]
    for name in facepp.ALL_PARTS:
        part = facepp.PARTS[name]
        keys = [f"`{prefix}0..{count - 1}`" for prefix, count in part.runs]
        keys += [f"`{key}`" for key in (*part.points, *part.radii)]
        facepp_rows.append(f"| `{name}` | {', '.join(keys)} | {part.point_count} |")
    facepp_rows.append(f"| total | {facepp.TOTAL_KEYS} keys | {facepp.TOTAL_POINTS} |")
    return {
        "pytest_densemark.tencent: POINT_LISTS and KIT_PROFILE": "\n".join(tencent_rows) + "\n",
        "pytest_densemark.facepp: PARTS": "\n".join(facepp_rows) + "\n",
    }


def test_vendor_fact_tables_are_generated_from_the_facts() -> None:
    text = (ROOT / "docs" / "vendor-facts.md").read_text(encoding="utf-8")
    found = {match.group(1): match.group(2) for match in _GENERATED.finditer(text)}
    expected = tables()
    assert set(found) == set(expected)
    for source, table in expected.items():
        assert found[source] == table, f"docs/vendor-facts.md: replace the table with\n{table}"


def test_every_tencent_point_list_name_is_in_the_manual() -> None:
    text = (ROOT / "docs" / "vendor-facts.md").read_text(encoding="utf-8")
    for name in tencent.POINT_LISTS:
        assert f"| `{name}` |" in text


PUBLIC_STRATEGIES = [
    name
    for name in strategies.__all__
    if inspect.isfunction(getattr(strategies, name)) and name != "InvalidResponse"
]
#: Parameters that take one plain value: a vendor name, a point profile, or the request the
#: client sends (``return_landmark``, ``legacy``): fixed choices, not distributions.
_PLAIN = {"vendor", "profile", "return_landmark", "legacy"}


@pytest.mark.parametrize("name", PUBLIC_STRATEGIES)
def test_strategy_parameters_follow_the_api_style(name: str) -> None:
    """Sizes and bounds are plain values; a strategy only where a distribution is meant."""
    function = getattr(strategies, name)
    hints = typing.get_type_hints(function)
    for parameter in inspect.signature(function).parameters.values():
        hint = str(hints[parameter.name])
        if parameter.name.startswith(("min_", "max_")):
            assert hint == "<class 'int'>", f"{name}({parameter.name}=): expected a plain int"
        elif parameter.name in _PLAIN:
            assert "SearchStrategy" not in hint, f"{name}({parameter.name}=): a plain value"
        else:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}({parameter.name})"
            assert "SearchStrategy" in hint, f"{name}({parameter.name}=): expected a strategy"


@pytest.mark.parametrize("name", PUBLIC_STRATEGIES)
def test_every_strategy_parameter_is_documented(name: str) -> None:
    text = (ROOT / "docs" / "strategies.md").read_text(encoding="utf-8")
    section = re.search(rf"^### `{name}\(.*?(?=^### |\Z)", text, re.S | re.M)
    assert section is not None, f"docs/strategies.md: no '### `{name}(...)`' section"
    for parameter in inspect.signature(getattr(strategies, name)).parameters:
        assert f"`{parameter}`" in section.group(0), f"{name}: `{parameter}` is not documented"


def test_bad_strategy_arguments_are_invalid_argument() -> None:
    from hypothesis.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="min_faces"):
        strategies.tencent_responses(min_faces=3, max_faces=1).example()
    with pytest.raises(InvalidArgument):
        strategies.faces(roll=0.0).example()  # type: ignore[arg-type]
