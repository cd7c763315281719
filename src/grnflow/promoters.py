"""Promoter extraction: the strand-aware window around each expression gene's TSS.

Coordinates: the TSS is the feature's `start` on '+' and its `end` on '-' (1-based GFF).
The window holds `upstream` bases before the TSS and `downstream` bases from the TSS on
(the TSS itself is the first downstream base), read 5'->3' on the gene's strand, so on '-'
it is the reverse complement of the genomic slice. With downstream 0 the window ends right
before the TSS (E. coli b0001, TSS 190 '+': the window ends with genome bases 184-189 ACATCC).

Genome access: pyfaidx (indexed; the .fai is built in a temporary folder so read-only inputs
work). pyfaidx reads plain and bgzip FASTA; a plain-gzip FASTA is decompressed once into that
temporary folder (a 12 Mb yeast genome takes about a second; see bench/bench_promoters.py).
"""

from __future__ import annotations

import gzip
import logging
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx

from grnflow.annotation import (
    DEFAULT_FEATURE_TYPES,
    DEFAULT_ID_ATTRIBUTES,
    NAME_ATTRIBUTES,
    gene_index,
    read_annotation,
)
from grnflow.errors import InputError
from grnflow.idmatch import check_loss, likely_cause, write_id_matching
from grnflow.io import atomic_path, decode_text, write_tsv

log = logging.getLogger(__name__)

MISSING_COLUMNS = ["gene", "reason"]
NO_GENOME = "no genome configured"
NOT_ANNOTATED = "not in annotation"
NO_CONTIG = "contig missing in FASTA"
CLIPPED = "clipped at contig end"
OUTSIDE = "window outside contig"
NO_STRAND = "unknown strand"

_COMPLEMENT = str.maketrans("ACGTUNRYKMSWBDHVacgtunrykmswbdhv", "TGCAANYRMKSWVHDBtgcaanyrmkswvhdb")


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA string (IUPAC codes complemented, N kept)."""
    return seq.translate(_COMPLEMENT)[::-1]


def expression_genes(path: str | Path) -> list[str]:
    """Gene IDs of a normalized expression matrix (its first column), in file order."""
    try:
        genes = pd.read_csv(path, sep="\t", usecols=[0], dtype=str, keep_default_na=False).iloc[:, 0]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the gene column of the expression matrix ({exc})") from exc
    return genes[genes != ""].tolist()


def promoter_windows(
    features: pd.DataFrame, contig_lengths: dict[str, int], upstream: int, downstream: int
) -> pd.DataFrame:
    """0-based half-open genomic windows (begin, stop), clipped to the contig, per feature.

    Adds columns begin, stop, clipped (bool) and reason (None when the window is usable).
    """
    start = features["start"].to_numpy(dtype=np.int64)
    end = features["end"].to_numpy(dtype=np.int64)
    strand = features["strand"].to_numpy().astype(str)
    minus = strand == "-"
    # '+': TSS at 0-based start-1; '-': TSS at 0-based end-1, window read leftwards.
    begin = np.where(minus, end - downstream, start - 1 - upstream)
    stop = np.where(minus, end + upstream, start - 1 + downstream)
    length = features["seqid"].map(contig_lengths).to_numpy(dtype=float)
    has_contig = ~np.isnan(length)
    length = np.nan_to_num(length, nan=0).astype(np.int64)
    clipped_begin = np.clip(begin, 0, length)
    clipped_stop = np.clip(stop, 0, length)
    out = features.copy()
    out["begin"] = clipped_begin
    out["stop"] = clipped_stop
    out["clipped"] = has_contig & ((clipped_begin != begin) | (clipped_stop != stop))
    reason = np.full(len(out), None, dtype=object)
    reason[out["clipped"].to_numpy()] = CLIPPED
    reason[has_contig & (clipped_stop <= clipped_begin)] = OUTSIDE
    reason[~np.isin(strand, ["+", "-"])] = NO_STRAND
    reason[~has_contig] = NO_CONTIG
    out["reason"] = reason
    return out


def _is_bgzf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(18)
    return len(head) >= 14 and head[:2] == b"\x1f\x8b" and head[3] & 4 and head[12:14] == b"BC"


def _needs_transcoding(path: Path, magic: bytes) -> bool:
    """Whether the FASTA's first MiB has a byte-order mark, UTF-16 or a carriage return."""
    try:
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            head = fh.read(1 << 20)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot decompress the genome FASTA ({exc})") from exc
    return head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\r" in head or b"\x00" in head


def open_genome(path: str | Path, workdir: str | Path) -> pyfaidx.Fasta:
    """Open a FASTA (plain, bgzip or gzip) with pyfaidx; index files go to `workdir`."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: genome FASTA not found")
    workdir = Path(workdir)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    source = path
    if _needs_transcoding(path, magic):
        # A BOM, UTF-16 (Excel "Unicode text") or CRLF line ends: pyfaidx reads plain LF ASCII.
        source = workdir / "genome.fa"
        text = decode_text(path).replace("\r\n", "\n").replace("\r", "\n")
        source.write_text(text)
        log.info("%s: re-encoded as plain UTF-8 with LF line ends for indexing", path)
        magic = b""
    elif magic == b"\x1f\x8b" and not _is_bgzf(path):
        source = workdir / "genome.fa"
        try:
            with gzip.open(path, "rb") as src, open(source, "wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 22)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: cannot decompress the genome FASTA ({exc})") from exc
    kwargs = {"indexname": str(workdir / "genome.fai"), "as_raw": True, "sequence_always_upper": True}
    if source == path and magic == b"\x1f\x8b":
        kwargs["gzi_indexname"] = str(workdir / "genome.gzi")
    try:
        return pyfaidx.Fasta(str(source), **kwargs)
    except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat, ValueError) as exc:
        raise InputError(f"{path}: not a valid FASTA file ({exc}); every record needs a '>name' line "
                         "and lines of equal length") from exc


def extract_promoters(
    genome: str | Path | Sequence | None,
    annotation: str | Path | Sequence | None,
    expression: str | Path,
    out_fasta: str | Path,
    out_missing: str | Path,
    upstream: int = 1000,
    downstream: int = 0,
    id_attributes: Sequence[str] = DEFAULT_ID_ATTRIBUTES,
    feature_types: Sequence[str] = DEFAULT_FEATURE_TYPES,
    out_id_matching: str | Path | None = None,
    max_loss: float = 0.5,
) -> pd.DataFrame:
    """Write one FASTA record (ID = gene ID) per expression gene with a promoter window.

    Genes without one, and genes whose window was clipped at a contig end (still written),
    go to `out_missing` (`gene reason`). Without genome/annotation every gene is listed as
    `no genome configured` and the FASTA is empty. Returns the missing table. Losing more
    than `max_loss` of the genes (not annotated) or promoters (contig not in the FASTA) stops
    the run (grnflow.idmatch; records in `out_id_matching`).
    """
    genes = expression_genes(expression)
    if not genome or not annotation:
        log.info("no genome/annotation configured: empty promoter FASTA, %d genes listed", len(genes))
        missing = pd.DataFrame({"gene": genes, "reason": NO_GENOME}, columns=MISSING_COLUMNS)
        if out_id_matching:
            write_id_matching([], out_id_matching)
        _write(out_fasta, out_missing, [], [], missing)
        return missing
    genome = Path(genome if isinstance(genome, (str, Path)) else genome[0])
    annotation = Path(annotation if isinstance(annotation, (str, Path)) else annotation[0])
    attributes = list(dict.fromkeys([*id_attributes, *NAME_ATTRIBUTES]))
    table = read_annotation(annotation, attributes, feature_types)
    index = gene_index(table, genes, id_attributes, feature_types)
    Path(out_fasta).parent.mkdir(parents=True, exist_ok=True)
    # Next to the output, not /tmp: a decompressed genome can be gigabytes on a cluster node.
    with tempfile.TemporaryDirectory(prefix=".promoters.", dir=Path(out_fasta).parent) as tmp:
        fasta = open_genome(genome, tmp)
        lengths = {name: len(fasta[name]) for name in fasta.keys()}
        windows = promoter_windows(index.features, lengths, upstream, downstream)
        usable = windows["reason"].isna() | (windows["reason"] == CLIPPED)
        absent = windows.loc[windows["reason"] == NO_CONTIG, "seqid"]
        if not usable.any():
            contigs = list(pd.unique(windows["seqid"]))[:5]
            raise InputError(
                f"{genome}: no expression gene got a promoter: the annotation's contigs "
                f"({', '.join(contigs)}) are not in the FASTA (its contigs: "
                f"{', '.join(list(lengths)[:5])}; {likely_cause(absent, lengths)}); use a genome "
                "FASTA and annotation of the same assembly (sequence names must match the "
                "annotation's first column)"
            )
        records: list[dict] = []
        reference = table[index.attribute].dropna() if index.attribute in table else []
        check_loss(records, "promoters", "genes", annotation, expression, len(genes), index.missing,
                   reference, max_loss, fix="check `annotation.id_attributes`")
        check_loss(records, "promoters", "promoters", annotation, genome, len(genes), absent, lengths,
                   max_loss, dropped=len(absent), fix="the annotation's first column must name the FASTA's sequences")
        ids, seqs = _slice(fasta, windows[usable])
    reasons = windows.loc[windows["reason"].notna(), "reason"]
    missing = pd.concat(
        [
            pd.DataFrame({"gene": index.missing, "reason": NOT_ANNOTATED}, columns=MISSING_COLUMNS),
            pd.DataFrame({"gene": reasons.index.to_numpy(), "reason": reasons.to_numpy()}),
        ],
        ignore_index=True,
    )
    order = {g: i for i, g in enumerate(genes)}
    missing = missing.iloc[np.argsort(missing["gene"].map(order).to_numpy(), kind="stable")]
    counts = missing["reason"].value_counts()
    log.info("promoters written: %d of %d genes (window -%d/+%d)", len(ids), len(genes), upstream, downstream)
    for reason, count in counts.items():
        log.info("  %s: %d gene(s), e.g. %s", reason, count,
                 ", ".join(missing.loc[missing["reason"] == reason, "gene"].head(3)))
    if out_id_matching:
        write_id_matching(records, out_id_matching)
    _write(out_fasta, out_missing, ids, seqs, missing.reset_index(drop=True))
    return missing.reset_index(drop=True)


def _slice(fasta: pyfaidx.Fasta, windows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Sequences of `windows`, one contig read at a time (in the windows' gene order)."""
    seqs = pd.Series("", index=windows.index, dtype=object)
    minus_all = windows["strand"].to_numpy() == "-"
    for contig, rows in windows.groupby("seqid", sort=False).indices.items():
        contig_seq = str(fasta[contig][:])
        begins = windows["begin"].to_numpy()[rows]
        stops = windows["stop"].to_numpy()[rows]
        minus = minus_all[rows]
        parts = [contig_seq[b:s] for b, s in zip(begins.tolist(), stops.tolist())]
        parts = [reverse_complement(p) if m else p for p, m in zip(parts, minus.tolist())]
        seqs.iloc[rows] = parts
    return windows.index.tolist(), seqs.tolist()


def _write(out_fasta, out_missing, ids, seqs, missing: pd.DataFrame) -> None:
    with atomic_path(out_fasta) as tmp:
        with open(tmp, "w") as fh:
            fh.write("".join(f">{i}\n{s}\n" for i, s in zip(ids, seqs)))
    write_tsv(missing, out_missing)


__all__ = [
    "extract_promoters",
    "promoter_windows",
    "reverse_complement",
    "open_genome",
    "expression_genes",
]
