"""The templates tell the truth: each says why it differs from upstream; templates/ holds only what is rendered."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


def test_every_template_says_why_it_differs_from_upstream() -> None:
    """Each template opens with a Jinja comment `sigma-sdk: ... Differs from the generator's own ...`."""
    for path in sorted(TEMPLATES.rglob("*.jinja")):
        head = path.read_text(encoding="utf-8")[:400]
        assert head.startswith("{#- sigma-sdk:"), path.name
        assert "Differs from the generator's own" in head, path.name


def test_templates_hold_only_what_the_generator_renders() -> None:
    """Every file under templates/ is a template using Jinja beyond its header; hand-written code is in sigma_sdk/."""
    files = sorted(path for path in TEMPLATES.rglob("*") if path.is_file())
    assert files
    for path in files:
        assert path.suffix == ".jinja", f"{path.relative_to(TEMPLATES)} is not rendered: put a module in sigma_sdk/"
        body = path.read_text(encoding="utf-8").split("-#}", 1)[-1]
        assert "{{" in body or "{%" in body, f"{path.name} holds no Jinja: make it a hand-written module of sigma_sdk/"


def test_readme_lists_the_passes_in_the_order_they_run() -> None:
    """The README's table of normalization passes names every pass of PASSES, in PASSES order."""
    from _codegen.normalize import PASSES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| pass | spec defect or generator limit |", 1)[1].split("\n\n", 1)[0]
    listed = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert listed == [normalization_pass.__name__ for normalization_pass in PASSES]
