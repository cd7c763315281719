"""Static security checks over the workflow's own code (src/, workflow/scripts, rules, Snakefile).

- no pickle-like deserialisation (pickle/dill/shelve/marshal imports, joblib.load);
- `np.load` never with `allow_pickle=True`; every `torch.load` passes `weights_only=True`;
  Keras `load_model` never with `safe_mode=False`;
- YAML only through safe loaders (`yaml.safe_load`, or `Loader=SafeLoader`/`CSafeLoader`);
- no `shell=True`, `os.system`/`os.popen`, `eval`/`exec` in Python code;
- no `shell:` rule interpolating config values (`{config...}` / `{params...}`) in .smk files.

Archive extraction refusing escaping paths is tested for real in tests/test_download.py
(test_unsafe_member_refused: `../x` and `/abs/x` in zip and tar.gz; test_escaping_link_refused:
a symlink out of the archive) and through the download rule in tests/test_bad_inputs.py
(`dl_member_escapes`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers import REPO

PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "shelve", "marshal", "cloudpickle"}
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader"}


def python_files() -> list[Path]:
    files = sorted((REPO / "src").rglob("*.py")) + sorted((REPO / "workflow" / "scripts").rglob("*.py"))
    assert len(files) > 20, "the source tree was not found"
    return files


def rule_files() -> list[Path]:
    return [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]


def _dotted(node: ast.AST) -> str:
    """`np.load` -> "np.load", `torch.load` -> "torch.load", `load` -> "load"."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _is_const(node, value) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def python_problems(source: str, where: str = "<string>") -> list[str]:
    """Security problems of one Python source, as `where:line: what` strings."""
    problems = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        line = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PICKLE_MODULES:
                    problems.append(f"{line}: imports {alias.name} (unsafe deserialisation)")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in PICKLE_MODULES:
                problems.append(f"{line}: imports from {node.module} (unsafe deserialisation)")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            if name in ("np.load", "numpy.load"):
                value = _keyword(node, "allow_pickle")
                if value is not None and not _is_const(value, False):
                    problems.append(f"{line}: {name} with allow_pickle")
            elif name == "torch.load":
                if not _is_const(_keyword(node, "weights_only"), True):
                    problems.append(f"{line}: torch.load without weights_only=True")
            elif name == "joblib.load":
                problems.append(f"{line}: joblib.load unpickles")
            elif last == "load_model":
                value = _keyword(node, "safe_mode")
                if value is not None and not _is_const(value, True):
                    problems.append(f"{line}: {name} with safe_mode disabled")
            elif name.startswith("yaml.") and last in ("load", "load_all"):
                loader = _keyword(node, "Loader")
                if loader is None and len(node.args) > 1:
                    loader = node.args[1]
                if loader is None or _dotted(loader).rsplit(".", 1)[-1] not in SAFE_YAML_LOADERS:
                    problems.append(f"{line}: {name} without a safe loader (use yaml.safe_load)")
            elif name.startswith("yaml.") and last in ("unsafe_load", "unsafe_load_all", "full_load",
                                                       "full_load_all"):
                problems.append(f"{line}: {name} (use yaml.safe_load)")
            elif name in ("os.system", "os.popen") or last in ("eval", "exec") and name == last:
                problems.append(f"{line}: {name}()")
            shell = _keyword(node, "shell")
            if shell is not None and not _is_const(shell, False):
                problems.append(f"{line}: {name} with shell=True")
    return problems


SHELL_BLOCK = re.compile(r"^(\s*)shell:\s*\n?(.*?)(?=^\1?\w+:|^\S|\Z)", re.MULTILINE | re.DOTALL)


def rule_problems(text: str, where: str = "<rules>") -> list[str]:
    """`shell:` directives that interpolate config values; Python escapes in rule files."""
    problems = []
    for match in SHELL_BLOCK.finditer(text):
        body = match.group(2)
        if re.search(r"\{\s*(config|params)\b", body):
            line = text[: match.start()].count("\n") + 1
            problems.append(f"{where}:{line}: shell: interpolates config/params (use script:)")
    for pattern in (r"shell\s*=\s*True", r"\bos\.(system|popen)\s*\(", r"yaml\.(unsafe_|full_)?load\s*\(",
                    r"\bimport\s+pickle\b", r"allow_pickle\s*=\s*True"):
        for found in re.finditer(pattern, text):
            line = text[: found.start()].count("\n") + 1
            problems.append(f"{where}:{line}: {found.group(0)}")
    return problems


# --- the checkers catch what they should (so a clean result means something) ----------------

BAD_PYTHON = {
    "import pickle": "imports pickle",
    "from dill import loads": "imports from dill",
    "import numpy as np\nnp.load('x.npy', allow_pickle=True)": "allow_pickle",
    "import torch\ntorch.load('m.pt')": "without weights_only=True",
    "import torch\ntorch.load('m.pt', weights_only=False)": "without weights_only=True",
    "import yaml\nyaml.load(open('c'))": "without a safe loader",
    "import yaml\nyaml.load(open('c'), Loader=yaml.Loader)": "without a safe loader",
    "import yaml\nyaml.full_load(open('c'))": "yaml.full_load",
    "import subprocess\nsubprocess.run('ls ' + x, shell=True)": "shell=True",
    "import os\nos.system('rm ' + x)": "os.system",
    "eval(text)": "eval()",
    "import keras\nkeras.models.load_model(p, safe_mode=False)": "safe_mode disabled",
    "import joblib\njoblib.load(p)": "joblib.load",
}

GOOD_PYTHON = """
import numpy as np, torch, yaml, subprocess
np.load("x.npz")
np.load("x.npz", allow_pickle=False)
torch.load("m.pt", map_location="cpu", weights_only=True)
yaml.safe_load(open("c"))
yaml.load(open("c"), Loader=yaml.SafeLoader)
subprocess.run(["ls", "-l"], check=True)
model.eval()
"""


@pytest.mark.parametrize("source", sorted(BAD_PYTHON))
def test_python_checker_catches(source):
    problems = python_problems(source)
    assert any(BAD_PYTHON[source] in p for p in problems), problems


def test_python_checker_accepts_safe_calls():
    assert python_problems(GOOD_PYTHON) == []


def test_rule_checker():
    bad = 'rule a:\n    output: "x"\n    shell:\n        "cut -f {config[col]} in > {output}"\n'
    bad_params = 'rule a:\n    params: c=config["x"]\n    shell: "tool {params.c}"\n'
    good = 'rule a:\n    output: "x"\n    shell:\n        "touch {output}"\n    log: "l"\n'
    assert rule_problems(bad) and rule_problems(bad_params)
    assert rule_problems(good) == []


# --- the real code --------------------------------------------------------------------------


def test_python_code_has_no_unsafe_calls():
    problems = [p for path in python_files()
                for p in python_problems(path.read_text(), str(path.relative_to(REPO)))]
    assert problems == []


def test_rules_do_not_interpolate_config_into_shell():
    problems = [p for path in rule_files() for p in rule_problems(path.read_text(), str(path.relative_to(REPO)))]
    assert problems == []


def test_torch_load_is_used_with_weights_only():
    """Not vacuous: the MTLGRN checkpoint loader exists and passes the check."""
    calls = [path for path in python_files() if "torch.load(" in path.read_text()]
    assert calls, "expected at least one torch.load (MTLGRN checkpoints)"
