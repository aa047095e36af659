"""Every accuracy quoted in README.md and docs/*.md is in a results file.

A number quoted in the docs must be one a benchmark wrote: it must appear in a
markdown file under ``benchmarks/results/`` (``archive/`` included), so a stale,
rounded or invented accuracy fails CI.

What counts as an accuracy (the rule; everything else is left alone):

* a number with two decimals from 10.00 to 100.00 (``99.42``, a table cell or
  a figure in the text); with a spread after it (``97.76 ± 0.14``) the pair must
  appear as written in a results markdown file;
* a number with one decimal from 10.0 to 100.0 followed by ``%`` (``91.9 %``).

Left out, by that rule: differences (a number written with a sign, ``+1.17``,
``−0.25``, or followed by ``points``), relative changes (``27.7 % more``), whole
numbers (dimensions, epochs, label counts, seconds, integer percentages), numbers
below 10 (differences in points, spreads on their own, ratios, clock rates), numbers
with three or more decimals, parts of dotted versions (``2.14.1``), anything inside
fenced code blocks, and the ``{include}`` directives (they show a results file itself).

Figures that are not measurements at all (the issue's targets, a paper's published
score) are listed in ``NOT_MEASURED`` with the reason, each for the pages it may
appear on.

A quoted number is sourced when a results markdown file (``*.md`` under
``benchmarks/results/``, ``archive/`` included) contains the same token, digit for
digit: ``93.2`` does not match a file's ``93.20``, so a rounded quote fails too. Each
results JSON file has its markdown beside it; reading the JSON numbers as well (as
printed at two decimals, themselves or times 100) is ``JSON_TOO``, off: they hold
thousands of floats, losses and seconds among them, that a stale number could match
by chance.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: A decimal number not part of a longer token (a version, an identifier), with
#: an optional ``± spread`` and an optional ``%`` after it.
QUOTED = re.compile(
    r"(?<![\w.])(?P<value>\d{1,3}\.\d+)(?![\w.]*\d)"
    r"(?:\s*±\s*(?P<spread>\d+\.\d+))?(?P<percent>\s*%)?(?P<after>\s*\w+)?"
)
#: Signs that make a number a difference, not an accuracy.
SIGNS = ("+", "−", "-", "±")
#: Words after a number (or after its ``%``) that make it a difference or a ratio.
RELATIVE = {"points", "point", "more", "less", "faster", "slower", "higher", "lower"}
#: Read JSON numbers too (off: a JSON file holds thousands of floats, losses and
#: seconds among them, so matching against them would let stale numbers pass; every
#: results file's markdown prints the accuracies its JSON holds).
JSON_TOO = False
#: Quoted figures that no benchmark measures: ``{number: (reason, pages or "*")}``.
NOT_MEASURED = {
    "99.4": ("the issue's target with 60000 MNIST labels", "*"),
    "97.5": ("the issue's target with 1000 labels (and for the BiGAN's 1-NN)", "*"),
    "97.39": ("the BiGAN paper's published 1-NN accuracy", ("docs/generator_features.md",)),
}
TOKEN = re.compile(r"\d+\.\d+")
SPREAD_PAIR = re.compile(r"(\d+\.\d+)\s*±\s*(\d+\.\d+)")


def accuracy_like(value: str, percent: bool) -> bool:
    """Whether a quoted number is one the rule checks (see the module docstring)."""
    decimals = len(value.split(".")[1])
    number = float(value)
    if decimals == 2:
        return 10.0 <= number <= 100.0
    return decimals == 1 and percent and 10.0 <= number <= 100.0


def _json_numbers(node):
    if isinstance(node, bool):
        return
    if isinstance(node, (int, float)):
        yield float(node)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _json_numbers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_numbers(value)


def results_sources(results: Path = RESULTS, json_too: bool = JSON_TOO) -> dict:
    """The numbers the results files hold: markdown tokens, ``m ± s`` pairs, JSON values."""
    tokens, pairs = set(), set()
    for path in sorted(results.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        tokens.update(TOKEN.findall(text))
        pairs.update(SPREAD_PAIR.findall(text))
    if json_too:
        for path in sorted(results.rglob("*.json")):
            for value in _json_numbers(json.loads(path.read_text(encoding="utf-8"))):
                for scaled in (value, 100 * value):
                    tokens.add(f"{scaled:.2f}")
    return {"tokens": tokens, "pairs": pairs}


def prose_lines(text: str):
    """``(line number, line)`` of a markdown text outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def is_difference(line: str, match: re.Match) -> bool:
    """A signed number, or one followed by ``points``/``more``/...: not an accuracy."""
    before = line[: match.start()].rstrip(" ")
    after = (match["after"] or "").strip().lower()
    return before.endswith(SIGNS) or after in RELATIVE


def not_measured(value: str, page: str) -> bool:
    reason = NOT_MEASURED.get(value)
    return reason is not None and (reason[1] == "*" or page in reason[1])


def unsourced(text: str, sources: dict, page: str = "") -> list[tuple[int, str]]:
    """``(line, quoted number)`` of each accuracy in ``text`` that no results file holds."""
    missing = []
    for number, line in prose_lines(text):
        for match in QUOTED.finditer(line):
            value, spread = match["value"], match["spread"]
            if not accuracy_like(value, bool(match["percent"])):
                continue
            if is_difference(line, match) or not_measured(value, page):
                continue
            if spread is not None:
                if (value, spread) not in sources["pairs"]:
                    missing.append((number, f"{value} ± {spread}"))
            elif value not in sources["tokens"]:
                missing.append((number, value))
    return missing


@pytest.fixture(scope="module")
def sources():
    return results_sources()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_quoted_accuracy_is_in_a_results_file(doc, sources):
    page = doc.relative_to(ROOT).as_posix()
    missing = unsourced(doc.read_text(encoding="utf-8"), sources, page)
    report = "\n".join(f"{doc.relative_to(ROOT)}:{line}: {value}" for line, value in missing)
    assert not missing, f"accuracies in no file under benchmarks/results/:\n{report}"


def test_a_fabricated_number_is_reported(sources):
    # 99.42 and 97.76 ± 0.14 are the default's in mnist_linear_probe-cpu.md.
    assert unsourced("The default scores 99.42 and 97.76 ± 0.14 %.", sources) == []
    text = "It scores 99.97 %, 97.76 ± 0.99 with 1000 labels and 91.3 % with 100."
    assert unsourced(text, sources) == [(1, "99.97"), (1, "97.76 ± 0.99"), (1, "91.3")]
    # The target figures pass; a paper's figure only on its page.
    assert unsourced("99.4 / 97.5 %", sources) == []
    assert unsourced("97.39 %", sources) == [(1, "97.39")]
    assert unsourced("97.39 %", sources, "docs/generator_features.md") == []


def test_the_rule_leaves_non_accuracies_alone(sources):
    text = (
        "torch 2.14.1, 1792 dims, 0.16 points, 1.84x, 415.7 s an epoch, 65 %, "
        "a loss of 0.5512, `C=0.01`, +12.05, −15.98 and 10.03 points, 27.7 % more time"
        "\n```\nprint(12.34)\n```"
    )
    assert unsourced(text, sources) == []


def test_sources_read_json_fractions_and_markdown_pairs(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"rows": {"x": {"mean": 0.97761}}}))
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "b.md").write_text("| d | 97.69 ± 0.13 |\n")
    assert "97.76" not in results_sources(tmp_path)["tokens"]  # markdown only by default
    found = results_sources(tmp_path, json_too=True)
    assert "97.76" in found["tokens"]
    assert ("97.69", "0.13") in found["pairs"]
    assert unsourced("97.76, 97.69 ± 0.13", found) == []
    assert unsourced("97.69 ± 0.14", found) == [(1, "97.69 ± 0.14")]
