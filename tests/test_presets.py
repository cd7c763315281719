"""Dataset presets (config/datasets) and their adapters (grnflow.presets)."""

from __future__ import annotations

import copy
import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import validate

from grnflow import presets
from grnflow.annotation import gene_index, name_to_id
from grnflow.errors import InputError

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted((REPO / "config" / "datasets").glob("*.yaml"))
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
# The PRECISE adapter's condition columns and wild-type strains (data shipped in resources/).
PRECISE_REFERENCE = REPO / "resources" / "precise_samples.yaml"
# Presets that run from the offline mirror alone (the others need a manual download).
RUNNABLE = ["ecoli_precise278", "ecoli_precise278_dream5", "dream4_size100_1"]


def load(name: str) -> dict:
    return yaml.safe_load((REPO / "config" / "datasets" / f"{name}.yaml").read_text())


def merged(name: str) -> dict:
    """config/config.yaml with the preset merged over it, as `--configfile` does."""
    base = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    preset = load(name)
    base["datasets"].update(preset["datasets"])
    base["run_datasets"] = preset["run_datasets"]
    return base


def sources(cfg: dict):
    """(where, spec) of every URL source of a preset."""
    for ds, dcfg in cfg["datasets"].items():
        for key, spec in {**dcfg.get("inputs", {}), **dcfg.get("prepare", {}).get("sources", {})}.items():
            if isinstance(spec, dict) and "url" in spec:
                yield f"{ds}.{key}", spec


def sha256_of(path: Path, gunzip: bool = False) -> str:
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


# --- preset files ----------------------------------------------------------------------------


def test_there_is_one_file_per_preset():
    assert [p.stem for p in PRESETS] == sorted(
        ["ecoli_precise278", "ecoli_precise278_dream5", "dream4_size100_1", "yeast_yeastract",
         "dream5_yeast_biogrid"]
    )


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_preset_validates_and_selects_only_itself(path):
    cfg = merged(path.stem)
    validate(cfg, str(SCHEMA))
    assert cfg["run_datasets"] == [path.stem]
    assert list(load(path.stem)["datasets"]) == [path.stem]
    # defaults filled in by validation
    assert cfg["datasets"][path.stem]["prepare"]["max_condition_differences"] >= 0


def test_schema_rejects_unknown_adapter():
    cfg = merged("dream4_size100_1")
    cfg["datasets"]["dream4_size100_1"]["prepare"]["expression"] = "dream3"
    with pytest.raises(Exception, match="dream3"):
        validate(cfg, str(SCHEMA))


# --- adapters on hand-made inputs --------------------------------------------------------------

GFF = """##gff-version 3
chr\tRefSeq\tgene\t1\t90\t.\t+\t.\tID=gene-b0001;Name=crpA;gene=crpA;gene_synonym=ECK1,old1;locus_tag=b0001
chr\tRefSeq\tgene\t100\t190\t.\t-\t.\tID=gene-b0002;Name=furB;gene=furB;locus_tag=b0002
chr\tRefSeq\tgene\t200\t290\t.\t+\t.\tID=gene-b0003;Name=menF;gene=menF;locus_tag=b0003
"""
COND = "Base Media,Carbon Source (g/L),Nitrogen Source (g/L),Electron Acceptor,Trace Element Mixture,Supplement,Temperature (C),pH,Culture Type"
SAMPLES = f"""Sample ID,project,Strain Description,Antibiotic,{COND}
wt1,p1,Escherichia coli K-12 MG1655,,M9,glc,NH4,O2,te,,37,7,Batch
wt2,p1,Escherichia coli K-12 MG1655,,M9,glc,NH4,O2,te,,37,7,Batch
wt3,p1,Escherichia coli K-12 MG1655,,M9,fru,NH4,O2,te,,37,7,Batch
ko1,p1,Escherichia coli K-12 BW25113 del_crpA,Kanamycin,M9,glc,NH4,O2,te,,37,7,Batch
ko2,p1,Escherichia coli K-12 MG1655 del_old1,,M9,ace,NH4,O2,te,,37,7,Batch
ko3,p1,Escherichia coli K-12 MG1655 del_furB,,W2,ace,NH4,O2,te,,37,7,Batch
dbl,p1,Escherichia coli K-12 MG1655 del_menF del_crpA,,M9,glc,NH4,O2,te,,37,7,Batch
dom,p1,Escherichia coli K-12 MG1655 crpA_delAr1,,M9,glc,NH4,O2,te,,37,7,Batch
ko4,p2,Escherichia coli K-12 MG1655 del_furB,,M9,glc,NH4,O2,te,,37,7,Batch
"""


def test_precise_samples_matches_controls_by_project_and_condition(tmp_path):
    (tmp_path / "a.gff3").write_text(GFF)
    (tmp_path / "s.csv").write_text(SAMPLES)
    sheet = presets.precise_samples(tmp_path / "s.csv", tmp_path / "a.gff3", tmp_path / "out.tsv",
                                    reference=PRECISE_REFERENCE)
    got = pd.read_csv(tmp_path / "out.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert got.equals(sheet)
    assert got.to_dict("list") == {
        "sample": ["wt1", "wt2", "wt3", "ko1", "ko2", "ko3", "dbl", "dom", "ko4"],
        # ko1: same culture (antibiotic ignored); ko2: name via synonym, one difference ->
        # all three wild types tie; ko3: two differences -> no control, no knockout;
        # dbl/dom: not single-gene knockouts; ko4: project without wild type.
        "knockout": ["", "", "", "b0001", "b0001", "", "", "", ""],
        "controls": ["", "", "", "wt1;wt2", "wt1;wt2;wt3", "", "", "", ""],
    }


def test_precise_samples_allows_more_differences_when_asked(tmp_path):
    (tmp_path / "a.gff3").write_text(GFF)
    (tmp_path / "s.csv").write_text(SAMPLES)
    sheet = presets.precise_samples(tmp_path / "s.csv", tmp_path / "a.gff3", tmp_path / "o.tsv",
                                    max_condition_differences=2, reference=PRECISE_REFERENCE)
    assert sheet.set_index("sample").loc["ko3", "knockout"] == "b0002"


def test_precise_samples_names_unknown_knockout_gene(tmp_path):
    (tmp_path / "a.gff3").write_text(GFF)
    (tmp_path / "s.csv").write_text(SAMPLES.replace("del_furB,,W2", "del_xyzQ,,W2"))
    with pytest.raises(InputError, match="xyzQ"):
        presets.precise_samples(tmp_path / "s.csv", tmp_path / "a.gff3", tmp_path / "o.tsv",
                                reference=PRECISE_REFERENCE)


def test_precise_reference_is_the_culture_columns_and_parent_strains():
    ref = presets.read_precise_reference(PRECISE_REFERENCE)
    assert ref["condition_columns"] == COND.split(",")
    assert "Antibiotic" not in ref["condition_columns"]  # the selection marker is not a condition
    assert ref["wild_types"] == ["Escherichia coli K-12 MG1655", "Escherichia coli BW25113",
                                 "Escherichia coli K-12 BW25113"]


def test_precise_samples_reads_its_wild_types_from_the_reference(tmp_path):
    """The reference file decides: without MG1655 among the wild types, p1's knockouts have no control."""
    (tmp_path / "a.gff3").write_text(GFF)
    (tmp_path / "s.csv").write_text(SAMPLES)
    ref = PRECISE_REFERENCE.read_text().replace("  - Escherichia coli K-12 MG1655\n", "")
    (tmp_path / "ref.yaml").write_text(ref)
    sheet = presets.precise_samples(tmp_path / "s.csv", tmp_path / "a.gff3", tmp_path / "o.tsv",
                                    reference=tmp_path / "ref.yaml")
    assert (sheet["knockout"] == "").all() and (sheet["controls"] == "").all()


@pytest.mark.parametrize(
    "text, message",
    [
        ("wild_types: [a]\n", r"ref\.yaml: key `condition_columns` must be a non-empty list"),
        ("condition_columns: [pH]\nwild_types: []\n", "key `wild_types` must be a non-empty list"),
        ("condition_columns: [pH\n", r"ref\.yaml: not valid YAML \(line 2, column 1\)"),
        ("- pH\n", "expected a mapping with keys condition_columns, wild_types"),
    ],
)
def test_bad_precise_reference_is_an_input_error(tmp_path, text, message):
    (tmp_path / "ref.yaml").write_text(text)
    with pytest.raises(InputError, match=message):
        presets.read_precise_reference(tmp_path / "ref.yaml")


def test_precise_gene_features(tmp_path):
    (tmp_path / "g.csv").write_text(
        ",start,end,strand,gene_name,length,operon,COG,accession\n"
        "b1,1,9,+,a,9,opA,Energy,NC\nb2,10,19,+,b,10,opA,,NC\nb3,30,39,-,c,10,,Energy,NC\n"
    )
    (tmp_path / "tfs.txt").write_text("b2\n")
    presets.precise_gene_features(tmp_path / "g.csv", tmp_path / "tfs.txt", tmp_path / "f.tsv")
    got = pd.read_csv(tmp_path / "f.tsv", sep="\t")
    assert got["gene"].tolist() == ["b1", "b2", "b3"]
    assert got["operon_size"].tolist() == [2, 2, 1]
    assert got["operon"].tolist() == ["opA", "opA", "b3"]
    assert got["cog"].tolist() == ["Energy", "No COG Annotation", "Energy"]
    assert got["tf"].tolist() == [0, 1, 0]


def test_dream_gold_standard_keeps_positives_and_renames(tmp_path):
    (tmp_path / "gs.tsv").write_text("G1\tG2\t1\nG1\tG3\t0\nG3\tG1\t1\n")
    (tmp_path / "ids.tsv").write_text("#ID\tName\nG1\tcrp\nG2\tfur\nG3\tlacI\n")
    edges = presets.dream_gold_standard(tmp_path / "gs.tsv", tmp_path / "n.tsv", tmp_path / "ids.tsv")
    assert edges.values.tolist() == [["crp", "fur"], ["lacI", "crp"]]
    assert (tmp_path / "n.tsv").read_text() == "regulator\ttarget\ncrp\tfur\nlacI\tcrp\n"
    (tmp_path / "bad.tsv").write_text("G1\tG2\tyes\n")
    with pytest.raises(InputError, match="line 1"):
        presets.dream_gold_standard(tmp_path / "bad.tsv", tmp_path / "n.tsv")


def test_dream4_knockouts(tmp_path):
    (tmp_path / "e.tsv").write_text(
        '"wt"\t"G1(-/-)"\t"G2(-/-)"\t"G1(+/-)"\t"TS1"\n'
        '"G1"\t0.5\t0\t0.4\t0.3\t0.2\n"G2"\t0.6\t0.7\t0.1\t0.5\t0.4\n'
    )
    matrix, sheet = presets.dream4_knockouts(tmp_path / "e.tsv", tmp_path / "x.tsv", tmp_path / "s.tsv")
    assert (tmp_path / "x.tsv").read_text().splitlines()[0] == "gene\twt\tG1(-/-)\tG2(-/-)\tG1(+/-)\tTS1"
    assert sheet.values.tolist() == [
        ["wt", "", ""], ["G1(-/-)", "G1", "wt"], ["G2(-/-)", "G2", "wt"], ["G1(+/-)", "", ""], ["TS1", "", ""],
    ]


def test_dream5_expression_transposes_and_drops_decoys(tmp_path):
    (tmp_path / "e.tsv").write_text("G1\tG2\tG3\n1.0\t2.0\t3.0\n4.0\t5.0\t6.0\n")
    (tmp_path / "ids.tsv").write_text("#ID\tName\nG1\tYAL001C\nG2\tdecoy1\nG3\tYAL002W\n")
    presets.dream5_expression(tmp_path / "e.tsv", tmp_path / "ids.tsv", tmp_path / "o.tsv")
    assert (tmp_path / "o.tsv").read_text() == "gene\tchip1\tchip2\nYAL001C\t1.0\t4.0\nYAL002W\t3.0\t6.0\n"


def test_biogrid_network(tmp_path):
    cols = list(presets.BIOGRID_COLUMNS)
    rows = [
        ["YB", "YA", "physical", "559292", "559292"],
        ["YA", "YB", "physical", "559292", "559292"],  # same pair, other order
        ["YA", "YA", "physical", "559292", "559292"],  # self
        ["YA", "YC", "genetic", "559292", "559292"],
        ["YA", "-", "physical", "559292", "559292"],
        ["YA", "YD", "physical", "559292", "9606"],  # other organism
        ["YC", "YD", "physical", "559292", "559292"],
    ]
    text = "#BioGRID Interaction ID\t" + "\t".join(cols) + "\n"
    text += "".join(f"{i}\t" + "\t".join(r) + "\n" for i, r in enumerate(rows))
    (tmp_path / "b.txt").write_text(text)
    got = presets.biogrid_network(tmp_path / "b.txt", tmp_path / "n.tsv")
    assert got.values.tolist() == [["YA", "YB"], ["YC", "YD"]]
    got = presets.biogrid_network(tmp_path / "b.txt", tmp_path / "n.tsv", system_type="any")
    assert got.values.tolist() == [["YA", "YB"], ["YA", "YC"], ["YC", "YD"]]


# --- the real files (offline mirror) ----------------------------------------------------------


def mirror_file(shared: Path, name: str) -> Path | None:
    hits = sorted(p for p in shared.rglob("*") if p.name in (name, name + ".gz"))
    return hits[0] if hits else None


@pytest.mark.parametrize("name", [p.stem for p in PRESETS])
def test_preset_checksums_match_the_mirror(shared_data, name):
    """Every URL source is in the mirror with its sha256 (or gunzipped member_sha256)."""
    checked = 0
    for where, spec in sources(load(name)):
        if "member" in spec:
            path = mirror_file(shared_data, Path(spec["member"]).name)
            want = spec["member_sha256"]
        else:
            path = mirror_file(shared_data, presets_url_name(spec["url"]))
            want = spec["sha256"]
        assert path is not None, f"{where}: {spec} not in the mirror"
        assert sha256_of(path, gunzip=path.suffix == ".gz" and not spec.get("url", "").endswith(".gz")) == want, where
        checked += 1
    assert checked >= 1


def presets_url_name(url: str) -> str:
    from grnflow.download import url_basename

    return url_basename(url)


@pytest.fixture(scope="module")
def precise(shared_data):
    d = shared_data / "ecoli_precise278"
    expr = pd.read_csv(d / "log_tpm.csv.gz", index_col=0, usecols=[0])
    return d, list(expr.index)


def test_precise_knockouts_on_the_real_sample_table(precise, tmp_path):
    d, _ = precise
    sheet = presets.precise_samples(d / "sample_table.csv", d / "genome.gff3.gz", tmp_path / "s.tsv",
                                    reference=PRECISE_REFERENCE)
    ko = sheet[sheet["knockout"] != ""]
    # 90 `del` strains: 8 crp activating-region mutants, 4 menF+entC double deletions,
    # 2 nac (NH4, M9 medium; wild types grew in W2 on other N sources) and 1 pgi (evolved
    # background) have no single-gene knockout / matched control.
    assert len(sheet) == 278
    assert (len(ko), ko["knockout"].nunique()) == (75, 26)
    assert (ko["controls"] != "").all()
    wild = set(sheet.loc[sheet["knockout"] == "", "sample"])
    assert all(set(c.split(";")) <= wild for c in ko["controls"])
    by_sample = sheet.set_index("sample")
    assert by_sample.loc["fur__delfur_dpd__1", "knockout"] == "b0683"
    assert by_sample.loc["fur__delfur_dpd__1", "controls"] == "fur__wt_dpd__1;fur__wt_dpd__2"


def test_precise_regulator_mapping_coverage(precise):
    d, genes = precise
    names = name_to_id(gene_index(d / "genome.gff3.gz", genes))
    trn = pd.read_csv(d / "trn.csv")
    regulators = trn["regulator"].unique()
    unmapped = sorted(r for r in regulators if r not in names)
    # metabolites, tRNAs, complexes (`flhD;flhC`) and a few names the GFF3 lacks (h-NS, hU, ihf)
    assert (len(regulators), len(unmapped)) == (236, 34)
    assert {"FMN", "flhD;flhC", "h-NS", "ihf"} <= set(unmapped)
    assert trn["gene_id"].isin(genes).mean() > 0.9


def test_dream5_net3_maps_to_precise(precise, shared_data, tmp_path):
    d, genes = precise
    net3 = shared_data / "dream5" / "net3"
    edges = presets.dream_gold_standard(
        net3 / "DREAM5_NetworkInference_GoldStandard_Network3 - E. coli.tsv",
        tmp_path / "n.tsv",
        net3 / "net3_gene_ids.tsv",
    )
    assert len(edges) == 2066
    names = name_to_id(gene_index(d / "genome.gff3.gz", genes))
    mapped = edges.assign(r=edges["regulator"].map(names), t=edges["target"].map(names)).dropna()
    assert len(mapped[["r", "t"]].drop_duplicates()) == 1956


def test_dream4_real_knockouts(shared_data, tmp_path):
    d = shared_data / "dream4_size100" / "inferelator_size100_net1"
    matrix, sheet = presets.dream4_knockouts(d / "expression.tsv", tmp_path / "e.tsv", tmp_path / "s.tsv")
    assert matrix.shape == (100, 421)
    ko = sheet[sheet["knockout"] != ""]
    assert len(ko) == 100 and set(ko["controls"]) == {"wt"}
    assert sorted(ko["knockout"], key=lambda g: int(g[1:])) == [f"G{i}" for i in range(1, 101)]


# --- Snakemake: merging, planning, clear failures --------------------------------------------


def snakemake(*args, cwd=REPO, timeout=300):
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    "name,target,jobs",
    [
        ("ecoli_precise278", "prepared/samples.tsv", {"download": 2, "prepare_precise_samples": 1}),
        ("ecoli_precise278_dream5", "prepared/network.tsv", {"download": 2, "prepare_gold_standard": 1}),
        ("dream4_size100_1", "prepared/samples.tsv", {"download": 1, "prepare_dream4_expression": 1}),
    ],
)
def test_dry_run_plans_preset_jobs(shared_data, tmp_path, name, target, jobs):
    proc = snakemake(
        "-n", "--directory", tmp_path, f"results/{name}/{target}", "--configfile",
        REPO / "config" / "datasets" / f"{name}.yaml", "--config", f"download={{mirror: {shared_data}}}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    for rule, count in jobs.items():
        assert any(line.split() == [rule, str(count)] for line in out.splitlines()), (rule, out[-2000:])


@pytest.mark.parametrize(
    "name,message",
    [
        ("dream5_yeast_biogrid", "synapse.org"),
        ("yeast_yeastract", "resources/manual/yeast_expression.tsv"),
    ],
)
def test_manual_presets_fail_with_instructions(tmp_path, name, message):
    proc = snakemake("-n", "--directory", tmp_path, "--configfile",
                     REPO / "config" / "datasets" / f"{name}.yaml")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "cannot be downloaded automatically" in out and message in out, out[-3000:]


@pytest.mark.slow
def test_real_reduced_precise_prepare_from_mirror(shared_data, tmp_path):
    """Download (from the mirror) and prepare the E. coli samples and DREAM5 network for real."""
    name = "ecoli_precise278_dream5"
    proc = snakemake(
        "--cores", "1", "--directory", tmp_path,
        f"results/{name}/prepared/samples.tsv", f"results/{name}/prepared/network.tsv",
        "--configfile", REPO / "config" / "datasets" / f"{name}.yaml",
        "--config", f"download={{mirror: {shared_data}}}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    sheet = pd.read_csv(tmp_path / f"results/{name}/prepared/samples.tsv", sep="\t", dtype=str,
                        keep_default_na=False)
    assert (sheet["knockout"] != "").sum() == 75
    assert len(pd.read_csv(tmp_path / f"results/{name}/prepared/network.tsv", sep="\t")) == 2066
    log = next((tmp_path / "logs" / "download").rglob("sample_table.csv.log")).read_text()
    assert "taken from mirror" in log
