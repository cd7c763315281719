"""Second round of the bad-input catalogue (issue 16): encodings, table shape, network values,
sample-sheet controls, ID losses across files, numbers.

Each entry is `name -> (rule, make, needles, warning)` in the shape of tests/test_bad_inputs.py's
`Case` (which wraps them): `make(demo, case_dir, server)` writes the broken input and returns
(input overrides, dataset options); error cases list message needles ("{file}" = the broken
file); warning cases give a check `(workdir, ds)` of the successful run.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd


def text(path: Path) -> str:
    return path.read_text()


def put(d: Path, name: str, content) -> str:
    path = d / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


def data(workdir: Path, ds: str, name: str) -> Path:
    return workdir / f"results/{ds}/data/{name}"


def log(workdir: Path, ds: str, rule: str) -> str:
    return (workdir / f"logs/{ds}/{rule}.log").read_text()


# --- encodings: one writer per kind of file, read back correctly or refused ---------------------

def bom_crlf(s: str) -> bytes:
    return codecs.BOM_UTF8 + s.replace("\n", "\r\n").encode("utf-8")


def utf16(s: str) -> bytes:  # Excel "Unicode text": UTF-16 LE with a BOM, CRLF line ends
    return s.replace("\n", "\r\n").encode("utf-16")


def encoded(key: str, name: str, encode, source: str | None = None, options=None, extra=()):
    """Input `key` re-encoded (`encode(text) -> bytes`); `extra` inputs copied as they are."""
    def make(demo, d, server):
        inputs = {key: put(d, name, encode(text(demo / (source or name))))}
        for other in extra:
            inputs[other] = str(demo / {"genome": "genome.fa", "annotation": "annotation.gff3",
                                        "samples": "samples.tsv", "gene_features": "gene_features.tsv"}[other])
        return inputs, dict(options or {})
    return make


def same_expression(workdir, ds):
    out = pd.read_csv(data(workdir, ds, "expression.tsv"), sep="\t")
    assert list(out.columns[:3]) == ["gene", "cond001", "cond002"], list(out.columns[:3])
    assert out.shape == (40, 39) and out["gene"].str.fullmatch(r"G\d{4}").all()


def same_network(workdir, ds):
    raw = data(workdir, ds, "network.tsv").read_bytes()
    assert b"\r" not in raw and b"\xef\xbb\xbf" not in raw
    net = pd.read_csv(data(workdir, ds, "network.tsv"), sep="\t")
    assert len(net) == 71 and net["regulator"].str.fullmatch(r"G\d{4}").all()


def same_tfs(workdir, ds):
    assert data(workdir, ds, "tfs.txt").read_text().split() == ["G0005", "G0011", "G0015", "G0020",
                                                                "G0023", "G0036"]


def same_samples(workdir, ds):
    sheet = pd.read_csv(data(workdir, ds, "samples.tsv"), sep="\t", keep_default_na=False)
    kos = sheet.loc[sheet["knockout"] != ""]
    assert len(kos) == 9 and set(kos["knockout"]) == {"G0015", "G0020", "G0036"}, kos
    assert sheet["sample"].str.fullmatch(r"[\w]+").all()


def same_promoters(workdir, ds):
    """The promoters equal those extracted from the demo's original (UTF-8, LF) files."""
    from grnflow.promoters import extract_promoters

    fasta = data(workdir, ds, "promoters.fa").read_text()
    assert fasta.count(">") == 40 and "\r" not in fasta and "\ufeff" not in fasta
    demo, ref = workdir.parent / "demo", workdir.parent / "reference" / ds
    extract_promoters(demo / "genome.fa", demo / "annotation.gff3", data(workdir, ds, "expression.tsv"),
                      ref / "promoters.fa", ref / "missing.tsv")  # the rule's default window
    assert fasta == (ref / "promoters.fa").read_text(), "promoters differ from the original files' ones"


def features_built(workdir, ds):
    table = pd.read_csv(workdir / f"results/{ds}/mtlgrn/features.tsv", sep="\t")
    assert len(table) == 40 and table["gene"].str.fullmatch(r"G\d{4}").all()


def cp1252_sample_names(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    lines[0] = lines[0].replace("cond001", "cond001_37\u00b0C").replace("cond002", "cond002_5\u00b5M")
    return "".join(lines).encode("cp1252")


def zero_width_space(demo):
    lines = text(demo / "network.tsv").splitlines(keepends=True)
    lines[4] = lines[4].replace("G0", "G\u200b0", 1)
    return "".join(lines)


# --- table shape -----------------------------------------------------------------------------

def trailing_tabs(demo):
    lines = text(demo / "expression.tsv").splitlines()
    return "\n".join([lines[0]] + [ln + "\t" for ln in lines[1:]]) + "\n"


def header_one_short(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    lines[0] = lines[0].replace("\tcond005", "", 1)
    return "".join(lines)


def r_style(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    lines[0] = lines[0].split("\t", 1)[1]
    return "".join(lines)


def trailing(content: str) -> str:
    lines = content.splitlines()
    return "\n".join([lines[0]] + [ln + "\t" for ln in lines[1:]]) + "\n"


def trailing_sheet(demo, d, server):
    return {"samples": put(d, "samples.tsv", trailing(text(demo / "samples.tsv")))}, {}


def headerless(demo):
    return "".join(text(demo / "network.tsv").splitlines(keepends=True)[1:])


# --- network values --------------------------------------------------------------------------

def as_matrix(demo, fill):
    net = pd.read_csv(demo / "network.tsv", sep="\t")
    genes = pd.read_csv(demo / "expression.tsv", sep="\t", usecols=[0]).iloc[:, 0]
    tfs = sorted(net["regulator"].unique())
    m = pd.DataFrame(0.0, index=genes, columns=tfs)
    for r, t in zip(net["regulator"], net["target"]):
        m.loc[t, r] = 1.0
    return fill(m).rename_axis("gene").to_csv(sep="\t")


def scores(m):
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.uniform(0.001, 0.2, m.shape).round(4), index=m.index, columns=m.columns)


def odd_cells(m):
    m = m.copy()
    m.iloc[3, 0], m.iloc[7, 1] = 2.0, 0.5
    return m


def weighted_edges(demo):
    net = pd.read_csv(demo / "network.tsv", sep="\t")
    genes = pd.read_csv(demo / "expression.tsv", sep="\t", usecols=[0]).iloc[:, 0]
    rng = np.random.default_rng(1)
    rows = [(r, g, round(float(rng.uniform(0.001, 0.2)), 4)) for r in net["regulator"].unique()
            for g in genes if g != r]
    return pd.DataFrame(rows, columns=["regulator", "target", "weight"]).to_csv(sep="\t", index=False)


def check_top_k(workdir, ds):
    net = pd.read_csv(data(workdir, ds, "network.tsv"), sep="\t")
    assert net.groupby("regulator").size().max() <= 5 and len(net) == 6 * 5, net
    assert "weighted network" in log(workdir, ds, "network")


def complete(m):  # every TF regulates every gene
    return m * 0 + 1.0


# --- sample sheets ---------------------------------------------------------------------------

def with_controls(fn):
    def make(demo, d, server):
        sheet = pd.read_csv(demo / "samples.tsv", sep="\t", keep_default_na=False)
        sheet["controls"] = ""
        fn(sheet)
        return {"samples": put(d, "samples.tsv", sheet.to_csv(sep="\t", index=False))}, {}
    return make


def own_control(sheet):
    sheet.loc[sheet["sample"] == "ko_G0020_r1", "controls"] = "ko_G0020_r1;wt_G0020_r1"


def same_gene_control(sheet):
    sheet.loc[sheet["sample"] == "ko_G0020_r2", "controls"] = "wt_G0020_r1;ko_G0020_r3"


# --- ID losses across files ------------------------------------------------------------------

def lower_case_edges(share):
    def fn(demo):
        lines = text(demo / "network.tsv").splitlines(keepends=True)
        n = int(round(share * (len(lines) - 1)))
        return "".join(lines[:1] + [ln.lower() for ln in lines[1:n + 1]] + lines[n + 1:])
    return fn


def check_small_loss(workdir, ds):
    table = pd.read_csv(data(workdir, ds, "id_matching.network.tsv"), sep="\t")
    edges = table.set_index("kind").loc["edges"]
    assert (edges["total"], edges["dropped"], edges["kept"]) == (71, 7, 64), edges
    assert edges["likely_cause"].startswith("letter case"), edges["likely_cause"]
    assert "WARNING grnflow.idmatch" in log(workdir, ds, "network")
    assert "likely cause: letter case" in log(workdir, ds, "network")


def prefixed(demo):
    lines = text(demo / "network.tsv").splitlines(keepends=True)
    return "".join(lines[:1] + [ln.replace("G0", "gene:G0") for ln in lines[1:]])


def excel_dates(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    lines[9] = "1-Mar" + lines[9][5:]  # MARCH1 and MARC1 both become 1-Mar in Excel
    lines[10] = "1-Mar" + lines[10][5:]
    return "".join(lines)


def upper_contig(which):
    def fn(demo):
        return text(demo / "genome.fa").replace(f">{which}", f">{which.upper()}")
    return fn


def check_contig_case(workdir, ds):
    table = pd.read_csv(data(workdir, ds, "id_matching.promoters.tsv"), sep="\t")
    row = table.set_index("kind").loc["promoters"]
    assert (row["total"], row["dropped"]) == (40, 20) and row["likely_cause"].startswith("letter case"), row
    assert "'contig2' vs 'CONTIG2'" in row["likely_cause"]
    assert "likely cause: letter case" in log(workdir, ds, "promoters")


def unannotated(n):
    def fn(demo):
        out, k = [], 0
        for line in text(demo / "annotation.gff3").splitlines(keepends=True):
            if not line.startswith("#") and k < n:
                line, k = line.replace("ID=G", "ID=X-G"), k + 1
            out.append(line)
        return "".join(out)
    return fn


# --- numbers ---------------------------------------------------------------------------------

def cell(value, row=5, col=3):
    def fn(demo):
        lines = text(demo / "expression.tsv").splitlines(keepends=True)
        fields = lines[row].rstrip("\n").split("\t")
        fields[col] = value
        lines[row] = "\t".join(fields) + "\n"
        return "".join(lines)
    return fn


def huge_gene(demo):
    lines = text(demo / "expression.tsv").splitlines(keepends=True)
    fields = lines[5].rstrip("\n").split("\t")
    lines[5] = "\t".join([fields[0], "1e308"] + ["1.7e308"] * (len(fields) - 2)) + "\n"
    return "".join(lines)


def three_samples(demo):
    return "".join("\t".join(ln.split("\t")[:4]).rstrip("\n") + "\n"
                   for ln in text(demo / "expression.tsv").splitlines(keepends=True))


def expr(fn, name="expression.tsv", options=None):
    def make(demo, d, server):
        content = fn(demo)
        return {"expression": put(d, name, content)}, dict(options or {})
    return make


def net(fn, options=None, name="network.tsv"):
    def make(demo, d, server):
        return {"network": put(d, name, fn(demo))}, dict(options or {})
    return make


def genome(fn=None, annotation_fn=None):
    def make(demo, d, server):
        inputs = {}
        if annotation_fn:
            inputs["annotation"] = put(d, "annotation.gff3", annotation_fn(demo))
        inputs["genome"] = put(d, "genome.fa", fn(demo) if fn else text(demo / "genome.fa"))
        inputs.setdefault("annotation", str(demo / "annotation.gff3"))
        return inputs, {}
    return make


MATRIX = {"network": {"format": "matrix"}}
GENE_TABLE = {"gene_features": {"categorical": ["cog"], "numeric": ["tf", "length"]}}

ROUND2 = {
    # text encodings, every input kind
    "enc_expr_cp1252": ("normalize", expr(cp1252_sample_names),
                        ["{file}, line 1: the file is not UTF-8 text", "cp1252", "iconv -f cp1252"], None),
    "enc_expr_utf16": ("normalize", encoded("expression", "expression.tsv", utf16), [], same_expression),
    "enc_expr_bom_crlf": ("normalize", encoded("expression", "expression.tsv", bom_crlf), [], same_expression),
    "enc_expr_utf16_no_bom": ("normalize", encoded("expression", "expression.tsv",
                                                   lambda s: s.encode("utf-16-le")),
                              ["{file}: looks like UTF-16 text without a byte-order mark"], None),
    "enc_net_bom_crlf": ("network", encoded("network", "network.tsv", bom_crlf), [], same_network),
    "enc_net_utf16": ("network", encoded("network", "network.tsv", utf16), [], same_network),
    "enc_net_zero_width": ("network", net(zero_width_space),
                           ["{file}, line 5, column 2: invisible character U+200B (zero-width space)"], None),
    "enc_tfs_utf16": ("network", encoded("tfs", "tfs.txt", utf16), [], same_tfs),
    "enc_tfs_bom_crlf": ("network", encoded("tfs", "tfs.txt", bom_crlf), [], same_tfs),
    "enc_sheet_utf16": ("samples", encoded("samples", "samples.tsv", utf16), [], same_samples),
    "enc_sheet_bom_crlf": ("samples", encoded("samples", "samples.tsv", bom_crlf), [], same_samples),
    "enc_gff_bom_crlf": ("promoters", encoded("annotation", "annotation.gff3", bom_crlf, extra=["genome"]),
                         [], same_promoters),
    "enc_gff_utf16": ("promoters", encoded("annotation", "annotation.gff3", utf16, extra=["genome"]),
                      [], same_promoters),
    "enc_fasta_bom_crlf": ("promoters", encoded("genome", "genome.fa", bom_crlf, extra=["annotation"]),
                           [], same_promoters),
    "enc_fasta_utf16": ("promoters", encoded("genome", "genome.fa", utf16, extra=["annotation"]),
                        [], same_promoters),
    "enc_gene_table_utf16": ("features", encoded("gene_features", "gene_features.tsv", utf16, options=GENE_TABLE,
                                                 extra=["genome", "annotation", "samples"]), [], features_built),
    # table shape
    "shape_trailing_tabs": ("normalize", expr(trailing_tabs), [], same_expression),
    "shape_header_one_short": ("normalize", expr(header_one_short),
                               ["{file}: the header names its ID column 'gene' but has 38 fields while "
                                "the rows have 39", "a sample name is missing"], None),
    "shape_r_style_header": ("normalize", expr(r_style), [], same_expression),
    "shape_sheet_trailing_tabs": ("samples", trailing_sheet, [], same_samples),
    "shape_matrix_trailing_tabs": ("network", net(lambda demo: trailing(as_matrix(demo, lambda m: m)), MATRIX),
                                   [], same_network),
    "shape_edges_trailing_tabs": ("network", net(lambda demo: trailing(text(demo / "network.tsv"))), [],
                                  same_network),
    "shape_headerless_network": ("network", net(headerless),
                                 ["{file}: the first line (G0005 G0012 1) was read as the header",
                                  "Set `network.header: false`"], None),
    # network values
    "netval_matrix_scores": ("network", net(lambda demo: as_matrix(demo, scores), MATRIX),
                             ["{file}: the network holds weights or scores, not 0/1 edges", "`network.threshold`",
                              "`network.top_k`"], None),
    "netval_matrix_2_and_half": ("network", net(lambda demo: as_matrix(demo, odd_cells), MATRIX),
                                 ["{file}: the network holds weights or scores", "e.g. 2 at target G0004"], None),
    "netval_weighted_edges": ("network", net(weighted_edges),
                              ["{file}: the network holds weights or scores", "column weight"], None),
    "netval_weighted_top_k": ("network", net(weighted_edges, {"network": {"top_k": 5}}), [], check_top_k),
    "netval_complete_graph": ("network", net(lambda demo: as_matrix(demo, complete), MATRIX),
                              ["non-edges for the", "metrics would come from (almost) one class"], None),
    # sample sheets
    "sheet_own_control": ("samples", with_controls(own_control),
                          ["{file}: row of sample ko_G0020_r1 (knockout G0020), column `controls`: the "
                           "sample is listed as its own control"], None),
    "sheet_same_gene_control": ("samples", with_controls(same_gene_control),
                                ["{file}: row of sample ko_G0020_r2 (knockout G0020), column `controls`: "
                                 "ko_G0020_r3 is also a knockout of G0020"], None),
    # ID losses across files
    "loss_edges_letter_case": ("network", net(lower_case_edges(0.6)),
                               ["{file}: 43 of 71 edges (61%) are lost", "likely cause: letter case",
                                "'g0005' vs 'G0005'", "id_matching.max_loss"], None),
    "loss_edges_small": ("network", net(lower_case_edges(0.1)), [], check_small_loss),
    "loss_edges_prefix": ("network", net(prefixed),
                          ["{file}: none of its 71 edges has both genes", "a prefix such as `gene:`"], None),
    "loss_excel_dates_merge": ("normalize", expr(excel_dates),
                               ["{file}: gene ID(s) 1-Mar occur more than once and look like dates made by Excel"],
                               None),
    "loss_contig_case_all": ("promoters", genome(lambda demo: text(demo / "genome.fa").upper()),
                             ["{file}: no expression gene got a promoter", "letter case"], None),
    "loss_contig_case_half": ("promoters", genome(upper_contig("contig2")), [], check_contig_case),
    "loss_genes_unannotated": ("promoters", genome(annotation_fn=unannotated(30)),
                               ["{file}: 30 of 40 genes (75%) are lost", "likely cause: no common pattern"], None),
    # numbers
    "num_overflow_cell": ("normalize", expr(cell("1e999")),
                          ["{file}: value '1e999' in row 'G0005', column 'cond003' is not a number (it "
                           "overflows to infinity"], None),
    "num_overflow_normalize": ("normalize", expr(huge_gene),
                               ["normalize method `zscore` overflows to infinity (or NaN) for gene G0005"], None),
    "num_too_few_samples": ("normalize", expr(three_samples),
                            ["{file}: only 3 sample(s) are left", "need at least 6"], None),
}
