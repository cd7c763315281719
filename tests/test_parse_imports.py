"""The Snakefile's own imports stay light: every Snakemake process (each cluster job, each test
run) parses it, so a heavy library imported there costs every job its import time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("sklearn", "scipy", "matplotlib", "tensorflow", "torch", "torch_geometric", "jinja2", "Bio")


def parse_time_modules() -> list[str]:
    """The grnflow modules that the Snakefile and its rule files import at parse time."""
    files = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    found = set()
    for path in files:
        for line in path.read_text().splitlines():
            m = re.match(r"\s*from (grnflow(?:\.\w+)*) import (.+)", line) or re.match(r"\s*import (grnflow(?:\.\w+)*)", line)
            if not m:
                continue
            found.add(m.group(1))
            if m.group(1) == "grnflow" and m.lastindex == 2:  # `from grnflow import methods as registry`
                found.update(f"grnflow.{name.split(' as ')[0].strip()}" for name in m.group(2).split(","))
    return sorted(found)


def test_parse_time_imports_pull_in_no_heavy_library():
    modules = parse_time_modules()
    assert "grnflow.report" in modules and "grnflow.anndata_io" in modules  # the parser sees them
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import snakemake.api; before = set(sys.modules)\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"print(sorted({{n.split('.')[0] for n in set(sys.modules) - before}} & set({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(REPO / "src")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"parse-time imports pull in {out.stdout.strip()} (import them where used)"
