"""The per-rule conda envs: each provides what its scripts import, at pyproject.toml's versions."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from helpers import REPO

ENVS = REPO / "envs"
RULES = REPO / "workflow" / "rules"
SRC = REPO / "src"
ENV_FILES = ("data.yaml", "gener.yaml", "mtlgrn.yaml", "report.yaml")

# Import name -> conda-forge package that provides it (keras comes with conda-forge's tensorflow).
IMPORT_TO_CONDA = {
    "Bio": "biopython",
    "h5py": "h5py",
    "jinja2": "jinja2",
    "jsonschema": "jsonschema",
    "keras": "tensorflow",
    "matplotlib": "matplotlib",
    "numpy": "numpy",
    "pandas": "pandas",
    "pyfaidx": "pyfaidx",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "tensorflow": "tensorflow",
    "threadpoolctl": "threadpoolctl",
    "torch": "pytorch",
    "torch_geometric": "pytorch_geometric",
    "yaml": "pyyaml",
}
# conda-forge package -> the PyPI distribution pinned in pyproject.toml (same name otherwise).
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "pytorch_geometric": "torch-geometric",
    "tensorflow": "tensorflow-cpu",
}
# Provided to every script by Snakemake itself (its `script:` preamble), not by the env.
INJECTED = {"snakemake", "grnflow"}


# --- helpers (tested below on hand-made files) -------------------------------------------------


def _guarded_by_import_error(node: ast.AST, parents: dict) -> bool:
    """Whether `node` sits in a `try:` body whose handler catches ImportError (optional import)."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                names = handler.type
                elts = names.elts if isinstance(names, ast.Tuple) else [names]
                if any(
                    isinstance(e, ast.Name) and e.id in ("ImportError", "ModuleNotFoundError")
                    for e in elts
                ):
                    return True
        child, parent = parent, parents.get(parent)
    return False


def module_imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in `path` (also inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from grnflow import io` imports the submodule grnflow.io
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if not _guarded_by_import_error(node, parents):
            found.update(names)
    return found


def _package_module_file(name: str, src: Path) -> Path | None:
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def third_party_imports(script: Path, src: Path = SRC, package: str = "grnflow") -> set[str]:
    """Top-level third-party imports of `script`, following the `package` modules it imports."""
    seen, todo, third = set(), [script], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in module_imports(path):
            top = name.split(".")[0]
            if top == package:
                # grnflow.x.y also runs grnflow/__init__.py and grnflow/x/__init__.py
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    found = _package_module_file(".".join(parts[:i]), src)
                    if found is not None:
                        todo.append(found)
            elif top not in sys.stdlib_module_names and top not in INJECTED:
                third.add(top)
    return third


RULE_START = re.compile(r"^(?:rule|checkpoint)\s+(\w+)\s*:", re.M)
DIRECTIVE = r"^\s+{}:\s*\n\s+['\"]([^'\"]+)['\"]"


def rule_scripts_and_envs(rules_dir: Path = RULES) -> dict[str, tuple[Path, Path | None, Path]]:
    """{rule: (script, conda env or None, .smk file)} for every rule with a `script:`."""
    found = {}
    for smk in sorted(rules_dir.glob("*.smk")):
        text = smk.read_text()
        starts = list(RULE_START.finditer(text))
        for i, match in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            body = text[match.end() : end]
            script = re.search(DIRECTIVE.format("script"), body, re.M)
            if script is None:
                continue
            conda = re.search(DIRECTIVE.format("conda"), body, re.M)
            env = (smk.parent / conda.group(1)).resolve() if conda else None
            found[match.group(1)] = ((smk.parent / script.group(1)).resolve(), env, smk)
    return found


SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(?:(==|=|>=|<=|>|<|~=)\s*([^\s,]+))?\s*$")


def env_packages(env_file: Path) -> dict[str, tuple[str | None, str | None]]:
    """{conda package: (operator, version)} of an environment file's dependencies."""
    spec = yaml.safe_load(env_file.read_text())
    packages = {}
    for dep in spec.get("dependencies", []):
        if not isinstance(dep, str):  # a `pip:` sub-list
            continue
        match = SPEC.match(dep.split("::")[-1].strip())
        assert match, f"{env_file.name}: cannot parse dependency {dep!r}"
        packages[match.group(1).lower()] = (match.group(2), match.group(3))
    return packages


def pyproject_pins() -> dict[str, str]:
    """{distribution: version} of the exact `==` pins in pyproject.toml's dependencies."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for dep in project["dependencies"]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)", dep)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


# --- the helpers on hand-made files --------------------------------------------------------------


def test_third_party_imports_follows_package_modules(tmp_path):
    pkg = tmp_path / "src" / "grnflow"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import os\nfrom grnflow import b\nimport numpy as np\n")
    (pkg / "b.py").write_text(
        "def f():\n    from sklearn.metrics import roc_auc_score\n"
        "try:\n    import pyarrow\nexcept ImportError:\n    pyarrow = None\n"
    )
    script = tmp_path / "script.py"
    script.write_text("from grnflow.a import x\nfrom grnflow.logging import log_to\nimport Bio.SeqIO\n")
    assert third_party_imports(script, src=tmp_path / "src") == {"numpy", "sklearn", "Bio"}


def test_rule_scripts_and_envs_parses_rule_blocks(tmp_path):
    (tmp_path / "x.smk").write_text(
        'rule one:\n    output:\n        "a"\n    conda:\n        "../envs/e.yaml"\n'
        '    script:\n        "../scripts/one.py"\n\n\n'
        'rule two:\n    output:\n        "b"\n    shell:\n        "touch {output}"\n\n\n'
        "rule three:\n    script:\n        '../scripts/three.py'\n"
    )
    found = rule_scripts_and_envs(tmp_path)
    assert set(found) == {"one", "three"}
    assert found["one"][0] == (tmp_path / "../scripts/one.py").resolve()
    assert found["one"][1] == (tmp_path / "../envs/e.yaml").resolve()
    assert found["three"][1] is None


def test_env_packages_parses_specs(tmp_path):
    env = tmp_path / "e.yaml"
    env.write_text(
        "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - numpy==2.4.6\n"
        "  - conda-forge::pyyaml==6.0.3\n  - scipy\n  - pip:\n    - foo==1\n"
    )
    assert env_packages(env) == {
        "python": ("=", "3.11"),
        "numpy": ("==", "2.4.6"),
        "pyyaml": ("==", "6.0.3"),
        "scipy": (None, None),
    }


# --- the real envs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENV_FILES)
def test_env_uses_conda_forge_and_python_311(name):
    spec = yaml.safe_load((ENVS / name).read_text())
    assert spec["channels"][0] == "conda-forge", f"envs/{name}: conda-forge must come first"
    assert "defaults" not in spec["channels"], f"envs/{name}: use nodefaults, not defaults"
    assert env_packages(ENVS / name)["python"] == ("=", "3.11")


def test_every_script_rule_names_an_existing_env():
    rules = rule_scripts_and_envs()
    assert rules, "no rule with a script: found under workflow/rules"
    for rule, (script, env, smk) in rules.items():
        assert script.is_file(), f"{smk.name}: rule {rule}: script {script} does not exist"
        assert env is not None, f"{smk.name}: rule {rule} has no conda: directive"
        assert env.parent == ENVS.resolve() and env.name in ENV_FILES, (
            f"{smk.name}: rule {rule}: conda env {env} is not one of envs/{{{','.join(ENV_FILES)}}}"
        )


def test_each_env_provides_its_scripts_imports():
    problems = []
    for rule, (script, env, smk) in sorted(rule_scripts_and_envs().items()):
        if env is None or not env.is_file() or not script.is_file():
            continue  # reported by test_every_script_rule_names_an_existing_env
        provided = set(env_packages(env))
        for name in sorted(third_party_imports(script)):
            package = IMPORT_TO_CONDA.get(name)
            if package is None:
                problems.append(f"rule {rule}: import {name!r} has no conda mapping in test_envs.py")
            elif package not in provided:
                problems.append(
                    f"rule {rule} ({script.name}) imports {name!r} but envs/{env.name} "
                    f"lacks {package!r}"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ENV_FILES)
def test_env_pins_match_pyproject_and_venv(name):
    pins = pyproject_pins()
    for package, (op, version) in env_packages(ENVS / name).items():
        if package == "python":
            continue
        dist = CONDA_TO_PYPI.get(package, package)
        assert op == "==" and version, f"envs/{name}: pin {package} exactly (==), as pyproject.toml"
        assert dist in pins, f"envs/{name}: {package} is not pinned in pyproject.toml ({dist})"
        assert version == pins[dist], (
            f"envs/{name}: {package}=={version} but pyproject.toml pins {dist}=={pins[dist]}"
        )
        installed = metadata.version(dist).split("+")[0]  # torch reports 2.13.0+cpu
        assert installed == version, f"envs/{name}: {package}=={version}, venv has {dist} {installed}"


def test_python_version_matches_pyproject():
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert ">=3.11" in requires and "<3.12" in requires
    assert sys.version_info[:2] == (3, 11)
