"""Bad input catalogue: every refusal is explained and leaves no partial output.

All cases go through the real workflow in ONE Snakemake run (`--keep-going`): each case is
its own dataset with one broken input (derived from a small generated demo), and the run
asks for the output of the stage concerned. For every error case the failing rule is named
in Snakemake's error report, its job log holds the InputError (no traceback) naming the
file and the problem, and none of the rule's outputs exists. Warning cases (edges of absent
genes, self-loops, ...) must succeed and list what was dropped.

Covered elsewhere, counted in this catalogue by reference:
- config errors (unknown top-level / dataset key, negative `negative_ratio`, unknown split
  regime, unknown method, dataset without expression, URL without sha256, unknown
  `run_datasets`): tests/test_config.py::test_bad_config_stops_before_any_job (real dry runs);
- download at the function level (retries, truncated body, 403, member checksum, escaping
  symlink, zip/tar/gz members): tests/test_download.py. Here the download rule itself is fed
  a 404, a checksum mismatch, a dropped connection, a missing member and a `..` member.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from bad_input_cases2 import ROUND2
from grnflow.synthetic import write_dataset
from helpers import SNAKEFILE, run_workflow
from test_download import ScriptedServer, make_tar_gz, make_zip

pytestmark = pytest.mark.slow  # one real Snakemake run shared by every case (~1-2 min)

DEMO = {"seed": 3, "n_genes": 40, "n_tfs": 6, "n_conditions": 20, "n_knockouts": 3,
        "n_contigs": 2, "promoter_length": 100}

STAGE = {  # rule -> (target, outputs) with {ds} for the dataset
    "normalize": ("results/{ds}/data/expression.tsv",
                  ["results/{ds}/data/expression.tsv", "results/{ds}/qc/normalize.png"]),
    "network": ("results/{ds}/data/network.tsv",
                ["results/{ds}/data/network.tsv", "results/{ds}/data/tfs.txt",
                 "results/{ds}/data/network.dropped.tsv", "results/{ds}/data/id_matching.network.tsv"]),
    "samples": ("results/{ds}/data/samples.tsv", ["results/{ds}/data/samples.tsv"]),
    "promoters": ("results/{ds}/data/promoters.fa",
                  ["results/{ds}/data/promoters.fa", "results/{ds}/data/promoters.missing.tsv",
                   "results/{ds}/data/id_matching.promoters.tsv"]),
    "features": ("results/{ds}/mtlgrn/features.tsv", ["results/{ds}/mtlgrn/features.tsv"]),
}


@dataclass
class Case:
    rule: str
    make: Callable  # (demo: Path, case_dir: Path, server) -> (inputs overrides, dataset options)
    needles: list = field(default_factory=list)  # in the job log; "{file}" = the broken file
    warning: Callable | None = None  # (workdir, ds) -> None: checks of a successful run


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text(path: Path) -> str:
    return path.read_text()


def put(case_dir: Path, name: str, content: str | bytes) -> str:
    path = case_dir / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


def edit_lines(path: Path, fn) -> str:
    return "".join(fn(path.read_text().splitlines(keepends=True)))


# --- expression (rule normalize) ------------------------------------------------------------


def expr(content_fn, name="expression.tsv"):
    def make(demo, d, server):
        return {"expression": put(d, name, content_fn(demo))}, {}
    return make


def transposed(demo):
    m = pd.read_csv(demo / "expression.tsv", sep="\t", index_col=0)
    return m.T.rename_axis("sample").to_csv(sep="\t")


def non_numeric(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    fields = lines[5].split("\t")
    fields[3] = "high"
    lines[5] = "\t".join(fields)
    return "".join(lines)


def decimal_comma(demo):
    m = pd.read_csv(demo / "expression.tsv", sep="\t", index_col=0)
    return m.to_csv(sep=";", decimal=",")


def duplicate_samples(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    lines[0] = lines[0].replace("cond002", "cond001")
    return "".join(lines)


def ragged(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    lines[7] = lines[7].rstrip("\n") + "\t1.0\t2.0\n"
    return "".join(lines)


def truncated_gzip(demo, d, server):
    data = gzip.compress((demo / "expression.tsv").read_bytes(), mtime=0)
    return {"expression": put(d, "expression.tsv.gz", data[: len(data) // 2])}, {}


def all_nan_gene(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    gene = lines[5].split("\t")[0]
    lines[5] = gene + "\tNA" * (len(lines[5].split("\t")) - 1) + "\n"
    return "".join(lines)


def all_missing(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    n = len(lines[0].split("\t")) - 1
    return lines[0] + "".join(line.split("\t")[0] + "\t" * n + "\n" for line in lines[1:])


def check_all_nan_gene(workdir, ds):
    log = text(workdir / f"logs/{ds}/normalize.log")
    assert "dropped 1 of 40 gene(s) with more than 50% missing values: G0005" in log
    genes = pd.read_csv(workdir / f"results/{ds}/data/expression.tsv", sep="\t")["gene"]
    assert "G0005" not in set(genes) and len(genes) == 39


# --- network, TF list (rule network) ----------------------------------------------------------


def net(content_fn, options=None, name="network.tsv"):
    def make(demo, d, server):
        return {"network": put(d, name, content_fn(demo))}, dict(options or {})
    return make


def renamed_network(demo):
    return text(demo / "network.tsv").replace("G0", "gene_")


def extra_edges(*edges):
    def fn(demo):
        return text(demo / "network.tsv") + "".join(f"{a}\t{b}\t1\n" for a, b in edges)
    return fn


def bad_sign(demo):
    return edit_lines(demo / "network.tsv", lambda ls: ls[:3] + [ls[3].rsplit("\t", 1)[0] + "\tmaybe\n"] + ls[4:])


def tfs(content, name="tfs.txt"):
    def make(demo, d, server):
        return {"tfs": put(d, name, content)}, {}
    return make


def truncated(data: bytes) -> bytes:
    packed = gzip.compress(data, mtime=0)
    return packed[: len(packed) // 2]


def check_some_absent(workdir, ds):
    dropped = pd.read_csv(workdir / f"results/{ds}/data/network.dropped.tsv", sep="\t")
    assert dropped.to_dict("records") == [
        {"regulator": "G0003", "target": "NOTAGENE", "reason": "target not in expression"},
        {"regulator": "XTF1", "target": "G0004", "reason": "regulator not in expression"},
        {"regulator": "XTF1", "target": "XTF2", "reason": "regulator and target not in expression"},
    ]
    kept = pd.read_csv(workdir / f"results/{ds}/data/network.tsv", sep="\t")
    assert "NOTAGENE" not in set(kept["target"]) and "XTF1" not in set(kept["regulator"])
    assert "dropped (target not in expression): 1" in text(workdir / f"logs/{ds}/network.log")


def check_self_loops(workdir, ds):
    dropped = pd.read_csv(workdir / f"results/{ds}/data/network.dropped.tsv", sep="\t")
    assert dropped.to_dict("records") == [
        {"regulator": "G0003", "target": "G0003", "reason": "self-loop"},
        {"regulator": "G0008", "target": "G0008", "reason": "self-loop"},
    ]
    kept = pd.read_csv(workdir / f"results/{ds}/data/network.tsv", sep="\t")
    assert not (kept["regulator"] == kept["target"]).any()


def check_some_unknown_tfs(workdir, ds):
    assert text(workdir / f"results/{ds}/data/tfs.txt") == "G0003\nG0008\n"
    log = text(workdir / f"logs/{ds}/network.log")
    assert "2 of 4 TF(s) are not expression genes and are left out: TF_X, TF_Y" in log


# --- sample sheet (rule samples) -----------------------------------------------------------


def sheet(fn):
    def make(demo, d, server):
        return {"samples": put(d, "samples.tsv", fn(text(demo / "samples.tsv")))}, {}
    return make


def sheet_without_controls(s):
    # knockouts of G0029 form their own group: no wild type shares it
    lines = s.splitlines(keepends=True)
    return "".join(re.sub(r"^(wt_\w+?)\t\t(\S+)$", r"\1\t\t\2_wt", ln) for ln in lines)


# --- genome, annotation (rule promoters) ---------------------------------------------------


def genome_pair(genome_fn=None, annotation_fn=None, options=None, annotation_name="annotation.gff3"):
    def make(demo, d, server):
        g = genome_fn(demo) if genome_fn else text(demo / "genome.fa")
        a = annotation_fn(demo) if annotation_fn else text(demo / "annotation.gff3")
        inputs = {"genome": put(d, "genome.fa", g), "annotation": put(d, annotation_name, a)}
        if annotation_fn:  # the broken file first: messages must name it
            inputs = {"annotation": inputs["annotation"], "genome": inputs["genome"]}
        return inputs, dict(options or {})
    return make


def gtf_lacking_gene_id(demo):
    out = ["#gtf-version 2.2\n"]
    for line in text(demo / "annotation.gff3").splitlines():
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        gid = re.search(r"ID=([^;]+)", cols[8]).group(1)
        cols[8] = f'gene_id "{gid}"; gene_name "{gid.lower()}";'
        out.append("\t".join(cols) + "\n")
    out[4] = out[4].replace('gene_id "', 'transcript_id "')  # line 5 loses its gene_id
    return "".join(out)


def drop_contig2(demo):
    return text(demo / "genome.fa").split(">contig2")[0]


def bad_coordinate(demo):
    lines = text(demo / "annotation.gff3").splitlines(keepends=True)
    cols = lines[5].split("\t")
    cols[3] = "12a"
    lines[5] = "\t".join(cols)
    return "".join(lines)


def check_one_contig_missing(workdir, ds):
    missing = pd.read_csv(workdir / f"results/{ds}/data/promoters.missing.tsv", sep="\t")
    gff = pd.read_csv(workdir.parent / "inputs" / ds / "annotation.gff3", sep="\t", comment="#", header=None)
    on2 = sorted(gff.loc[gff[0] == "contig2", 8].str.extract(r"ID=([^;]+)")[0])
    assert sorted(missing.loc[missing["reason"] == "contig missing in FASTA", "gene"]) == on2
    fasta = text(workdir / f"results/{ds}/data/promoters.fa")
    assert fasta.count(">") == 40 - len(on2) and not any(f">{g}\n" in fasta for g in on2)


def check_window_larger_than_contig(workdir, ds):
    missing = pd.read_csv(workdir / f"results/{ds}/data/promoters.missing.tsv", sep="\t")
    assert len(missing) == 40 and set(missing["reason"]) == {"clipped at contig end"}
    assert "clipped at contig end: 40 gene(s)" in text(workdir / f"logs/{ds}/promoters.log")


# --- downloads (rule download, real HTTP server on 127.0.0.1) ---------------------------------

def url_expression(path, body_fn, sha_fn=None, member=None):
    def make(demo, d, server):
        body = body_fn(demo)
        spec = {"url": server.url(path), "sha256": sha_fn(body) if sha_fn else sha(body)}
        if member:
            spec["member"] = member
        return {"expression": spec}, {}
    return make


CASES: dict[str, Case] = {
    # expression matrix
    "expr_empty_file": Case("normalize", expr(lambda demo: ""), ["{file}: the file is empty"]),
    "expr_header_only": Case("normalize", expr(lambda demo: text(demo / "expression.tsv").splitlines()[0] + "\n"),
                             ["{file}: only a header line, no data rows"]),
    "expr_wrong_delimiter": Case(
        "normalize", expr(lambda demo: text(demo / "expression.tsv").replace("\t", " ")),
        ["{file}: only one column was found", "Set `expression.sep`"]),
    "expr_non_numeric": Case(
        "normalize", expr(non_numeric),
        ["{file}: value 'high' in row 'G0005', column 'cond003' is not a number"]),
    "expr_decimal_comma": Case(
        "normalize", expr(decimal_comma, "expression.csv"),
        ["{file}: value '", "is not a number (a decimal comma? use a dot as decimal separator)"]),
    "expr_duplicate_samples": Case("normalize", expr(duplicate_samples),
                                   ["{file}: duplicate sample name(s) cond001"]),
    "expr_ragged_row": Case("normalize", expr(ragged),
                            ["{file}: cannot be parsed", "Expected 39 fields in line 8, saw 41"]),
    "expr_genes_samples_swapped": Case(
        "normalize", expr(transposed),
        ["{file}: the matrix looks transposed", "expression.orientation: samples_x_genes"]),
    "expr_truncated_gzip": Case("normalize", truncated_gzip,
                                ["{file}: the gzip-compressed file is truncated or damaged"]),
    "expr_all_missing": Case("normalize", expr(all_missing), ["every value of the matrix is missing"]),
    "expr_all_nan_gene": Case("normalize", expr(all_nan_gene), warning=check_all_nan_gene),
    # reference network and TF list
    "net_genes_all_absent": Case(
        "network", net(renamed_network),
        ["{file}: none of its 71 edges has both genes in the expression matrix",
         "network IDs absent from it: gene_0", "network.id_map: annotation"]),
    "net_genes_some_absent": Case(
        "network", net(extra_edges(("G0003", "NOTAGENE"), ("XTF1", "G0004"), ("XTF1", "XTF2"))),
        warning=check_some_absent),
    "net_empty": Case("network", net(lambda demo: "regulator\ttarget\tsign\n"),
                      ["{file}: the network has no edges"]),
    "net_self_loops": Case("network", net(extra_edges(("G0003", "G0003"), ("G0008", "G0008"))),
                           warning=check_self_loops),
    "net_unknown_column": Case("network", net(lambda demo: text(demo / "network.tsv"),
                                              {"network": {"regulator_column": "TF"}}),
                               ["{file}: no column 'TF' (set by `network.regulator_column`)"]),
    "net_bad_sign": Case("network", net(bad_sign, {"network": {"sign_column": "sign"}}),
                         ["{file} (column sign): unrecognised sign value(s) 'maybe'"]),
    "tfs_all_unknown": Case("network", tfs("TF_X\nTF_Y\nTF_Z\n"),
                            ["{file}: none of its 3 TF IDs is an expression gene"]),
    "tfs_truncated_gzip": Case("network", tfs(truncated(b"".join(b"G%04d\n" % i for i in range(1, 4000))),
                                              "tfs.txt.gz"),
                               ["{file}: the gzip-compressed file is truncated or damaged"]),
    "tfs_not_text": Case("network", tfs(bytes(range(128, 256)) * 4), ["{file}: not a text file"]),
    "tfs_some_unknown": Case("network", tfs("G0003\nTF_X\nG0008\nTF_Y\n"), warning=check_some_unknown_tfs),
    # sample sheet
    "sheet_unknown_sample": Case(
        "samples", sheet(lambda s: s + "cond999\tG0003\tcond999\n"),
        ["{file}: 1 sample(s) in the sheet are not in the expression matrix: cond999"]),
    "sheet_unknown_knockout_gene": Case(
        "samples", sheet(lambda s: s.replace("cond003\t\t", "cond003\tlacZ\t")),
        ["{file}: knockout gene(s) not among the expression's gene IDs: cond003 (lacZ)"]),
    "sheet_knockout_without_controls": Case(
        "samples", sheet(sheet_without_controls),
        ["{file}: knockout sample(s) without any wild-type control", "no wild-type sample shares its `group`"]),
    "sheet_missing_column": Case("samples", sheet(lambda s: s.replace("knockout", "mutant", 1)),
                                 ["{file}: the sample sheet lacks column(s) knockout"]),
    "sheet_duplicate_sample": Case("samples", sheet(lambda s: s + s.splitlines(keepends=True)[1]),
                                   ["{file}: sample(s) cond001 appear on more than one row"]),
    # genome and annotation
    "gff_without_expression_genes": Case(
        "promoters", genome_pair(annotation_fn=lambda demo: text(demo / "annotation.gff3").replace("ID=G", "ID=X")),
        ["{file}: none of the 40 expression genes matches a gene feature", "id_attributes"]),
    "gtf_missing_gene_id": Case(
        "promoters", genome_pair(annotation_fn=gtf_lacking_gene_id, annotation_name="annotation.gtf"),
        ["{file}, line 5: GTF gene line without a `gene_id` attribute"]),
    "gff_bad_coordinate": Case("promoters", genome_pair(annotation_fn=bad_coordinate),
                               ["{file}, line 6: start coordinate '12a' is not an integer"]),
    "fasta_lacks_all_contigs": Case(
        "promoters", genome_pair(genome_fn=lambda demo: text(demo / "genome.fa").replace(">contig", ">chr")),
        ["{file}: no expression gene got a promoter", "(contig1, contig2) are not in the FASTA",
         "its contigs: chr1, chr2"]),
    "fasta_lacks_one_contig": Case("promoters", genome_pair(genome_fn=drop_contig2),
                                   warning=check_one_contig_missing),
    "fasta_not_fasta": Case("promoters", genome_pair(genome_fn=lambda demo: text(demo / "expression.tsv")),
                            ["{file}: not a valid FASTA file"]),
    "window_larger_than_contig": Case(
        "promoters", genome_pair(options={"promoter": {"upstream": 100000, "downstream": 0}}),
        warning=check_window_larger_than_contig),
    # downloads
    "dl_http_404": Case("download", url_expression("/gone/expression.tsv", lambda demo: b"gone"),
                        ["{url}", "HTTP 404"]),
    "dl_sha256_mismatch": Case(
        "download", url_expression("/ok/expression.tsv", lambda demo: b"x", sha_fn=lambda b: sha(b"another file")),
        ["checksum mismatch", "{url}"]),
    "dl_connection_dropped": Case("download", url_expression("/drop/expression.tsv", lambda demo: b"dropped"),
                                  ["{url}", "gave up after 2 attempt(s)"]),
    "dl_member_missing": Case(
        "download", url_expression("/bundle.zip", lambda demo: make_zip({"a.tsv": b"1"}), member="expression.tsv"),
        ["'expression.tsv' is not in archive", "a.tsv"]),
    "dl_member_escapes": Case(
        "download", url_expression("/evil.tar.gz", lambda demo: make_tar_gz({"../expression.tsv": b"1"}),
                                   member="../expression.tsv"),
        ["refusing archive member"]),
}

# Second round (issue 16): encodings, table shape, network values, controls, ID losses, numbers.
CASES.update({name: Case(rule, make, needles, warning) for name, (rule, make, needles, warning) in ROUND2.items()})

ERROR_CASES = sorted(k for k, c in CASES.items() if c.warning is None)
WARNING_CASES = sorted(k for k, c in CASES.items() if c.warning is not None)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Build every broken dataset from one generated demo and run them all in one workflow run."""
    root = tmp_path_factory.mktemp("bad_inputs")
    demo = root / "demo"
    write_dataset(DEMO, demo)
    server = ScriptedServer()
    server.route("/ok/expression.tsv", ("ok", b"x"))
    server.route("/drop/expression.tsv", ("drop",))
    server.route("/bundle.zip", ("ok", make_zip({"a.tsv": b"1"})))
    server.route("/evil.tar.gz", ("ok", make_tar_gz({"../expression.tsv": b"1"})))
    datasets, targets, info = {}, [], {}
    try:
        for ds, case in CASES.items():
            case_dir = root / "inputs" / ds
            case_dir.mkdir(parents=True)
            inputs = {"expression": str(demo / "expression.tsv"), "network": str(demo / "network.tsv")}
            if case.rule == "samples":
                inputs["samples"] = str(demo / "samples.tsv")
            overrides, options = case.make(demo, case_dir, server)
            inputs.update(overrides)
            datasets[ds] = {"inputs": inputs, **options}
            broken = next(iter(overrides.values()))
            if case.rule == "download":
                spec = broken
                name = Path(spec.get("member") or spec["url"]).name
                outputs = [f"resources/downloads/{spec['sha256']}/{name}"]
                target = STAGE["normalize"][0].format(ds=ds)
                log = f"logs/download/{spec['sha256']}/{name}.log"
                info[ds] = dict(file=spec["url"], url=spec["url"], outputs=outputs, log=log)
            else:
                target, outputs = STAGE[case.rule]
                info[ds] = dict(file=broken, outputs=[o.format(ds=ds) for o in outputs],
                                log=f"logs/{ds}/{case.rule}.log")
                target = target.format(ds=ds)
            targets.append(target)
        # `correlation` sets the normalize stage's sample minimum (num_too_few_samples).
        config = {"datasets": datasets, "methods": ["random", "correlation"], "splits": ["random"],
                  "download": {"retries": 1, "timeout": 5}}
        workdir = root / "run"
        proc = run_workflow(workdir, config, targets=targets, extra=["--keep-going"], check=False)
    finally:
        server.close()
    return workdir, proc, info


def error_blocks(stderr: str) -> dict[str, str]:
    """Snakemake's `Error in rule X:` reports, keyed by the job's log path."""
    blocks = {}
    for block in stderr.split("Error in rule ")[1:]:
        found = re.search(r"log: (\S+)", block)
        if found:
            blocks[found.group(1)] = block.split("\n\n")[0]
    return blocks


def test_catalogue_has_at_least_25_distinct_bad_inputs():
    assert len(CASES) >= 25 and len(ERROR_CASES) >= 20


@pytest.mark.parametrize("ds", ERROR_CASES)
def test_bad_input_is_refused_with_a_clear_message_and_no_output(catalogue, ds):
    workdir, proc, info = catalogue
    case, job = CASES[ds], info[ds]
    assert proc.returncode != 0
    blocks = error_blocks(proc.stderr)
    assert job["log"] in blocks, f"{ds}: no Snakemake error for {job['log']}:\n{proc.stderr[-4000:]}"
    assert blocks[job["log"]].startswith(case.rule + ":")
    log = (workdir / job["log"]).read_text()
    assert "input error:" in log and "Traceback" not in log, log
    assert "grnflow input error: " in proc.stderr
    for needle in case.needles:
        needle = needle.format(file=job["file"], url=job.get("url", ""))
        assert needle in log, f"{ds}: {needle!r} not in {job['log']}:\n{log}"
    for output in job["outputs"]:
        assert not (workdir / output).exists(), f"{ds}: partial output {output} left behind"


@pytest.mark.parametrize("ds", WARNING_CASES)
def test_tolerable_input_is_cleaned_and_listed(catalogue, ds):
    workdir, proc, info = catalogue
    for output in info[ds]["outputs"]:
        assert (workdir / output).exists(), f"{ds}: {output} missing:\n{proc.stderr[-3000:]}"
    CASES[ds].warning(workdir, ds)


def test_no_temporary_files_left_anywhere(catalogue):
    workdir, proc, info = catalogue
    leftovers = [str(p.relative_to(workdir)) for top in ("results", "resources") if (workdir / top).exists()
                 for p in (workdir / top).rglob("*")
                 if p.name.startswith(".") or p.name.endswith(".part")]
    assert leftovers == []


@pytest.mark.parametrize("where", ["top", "dataset"])
def test_duplicate_key_in_a_config_file_stops_before_any_job(tmp_path, where):
    """Snakemake loads config files itself and would keep the last of two equal keys."""
    lines = ["datasets:", "  demo:", "    synthetic: {seed: 1, n_genes: 40, n_tfs: 6}",
             "methods: [random]", "splits: [random]"]
    if where == "top":
        lines.append("methods: [correlation]")
        needle = "line 6: key 'methods' is given twice (first on line 4)"
    else:
        lines.insert(3, "    synthetic: {seed: 2}")
        needle = "line 4: key 'synthetic' is given twice (first on line 3)"
    cfg = tmp_path / "config.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--directory", str(tmp_path),
           "--configfile", str(cfg), "--cores", "1", "--dry-run"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert f"{cfg}: {needle}; YAML would silently keep only the last one" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()
