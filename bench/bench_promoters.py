"""Benchmark of the `promoters` stage on the whole yeast genome (real data).

What is timed: `extract_promoters` end to end (read the GFF3, map 6,399 expression genes, open
the plain-gzip 12 Mb FASTA with pyfaidx after decompressing it to a temporary file, slice 1 kb
upstream windows strand-aware, write FASTA + missing table), median of `--repeats` runs.
For the record it also times the alternative genome readers on the same file: the
decompress+pyfaidx path used by the stage vs. Biopython's SimpleFastaParser over gzip (whole
genome into memory).

Data: ../shared/data/yeast_S288C_R64 (or $GRNFLOW_SHARED_DATA/yeast_S288C_R64); skipped with a
message when absent. Usage: .venv/bin/python bench/bench_promoters.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from Bio.SeqIO.FastaIO import SimpleFastaParser

from grnflow.annotation import read_annotation
from grnflow.promoters import extract_promoters, open_genome

REPO = Path(__file__).resolve().parents[1]


def median_time(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--upstream", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "promoters")
    args = parser.parse_args()
    shared = Path(os.environ.get("GRNFLOW_SHARED_DATA", REPO.parent / "shared" / "data"))
    folder = shared / "yeast_S288C_R64"
    if not folder.is_dir():
        sys.exit(f"skipped: {folder} is absent (set GRNFLOW_SHARED_DATA to the shared data folder)")
    genome = folder / "S288C_R64_BK006935-BK006949.fasta.gz"
    annotation = folder / "S288C_R64_genes_from_genbank.gff3.gz"
    args.out.mkdir(parents=True, exist_ok=True)
    expression = args.out / "expression.tsv"
    genes = read_annotation(annotation)["ID"]
    pd.DataFrame({"gene": genes, "s1": 0.0}).to_csv(expression, sep="\t", index=False)

    def run():
        extract_promoters(genome, annotation, expression, args.out / "promoters.fa",
                          args.out / "promoters.missing.tsv", upstream=args.upstream, downstream=0)

    median, times = median_time(run, args.repeats)
    n_records = (args.out / "promoters.fa").read_text().count(">")
    print(f"extract_promoters: {len(genes)} genes, {n_records} promoters of {args.upstream} bp: "
          f"median {median:.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})")

    def pyfaidx_all():
        with tempfile.TemporaryDirectory(dir=args.out) as tmp:
            fasta = open_genome(genome, tmp)
            return sum(len(str(fasta[name][:])) for name in fasta.keys())

    def biopython_all():
        with gzip.open(genome, "rt") as fh:
            return sum(len(seq) for _, seq in SimpleFastaParser(fh))

    readers = {}
    for name, fn in (("decompress + pyfaidx", pyfaidx_all), ("Biopython SimpleFastaParser", biopython_all)):
        readers[name], reader_times = median_time(fn, args.repeats)
        print(f"read whole genome, {name}: median {readers[name]:.2f} s")
    summary = {"machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
               f"{os.cpu_count()} CPUs", "date": time.strftime("%Y-%m-%d"), "genes": len(genes),
               "promoters": n_records, "upstream": args.upstream, "median_s": round(median, 3),
               "runs_s": [round(t, 3) for t in times],
               "genome_readers_median_s": {k: round(v, 3) for k, v in readers.items()}}
    (args.out / "bench_promoters.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
