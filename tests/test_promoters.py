"""Promoter extraction: strand, clipping, reasons and errors on a hand-made genome; real files."""

import gzip

import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.promoters import extract_promoters, reverse_complement

# c1, 1-based: A1 C2 G3 T4 A5 A6 C7 C8 G9 G10 T11 T12 N13 A14 C15 G16 T17 T18 G19 C20 A21
GENOME = ">c1 first contig\nacgtAACCGG\nTTNACGTTGC\nA\n>c2\nGGGGAAAATT\nTT\n"
GFF3 = """##gff-version 3
c1\tt\tgene\t9\t15\t.\t+\t.\tID=gene-gA;locus_tag=gA
c1\tt\tgene\t2\t12\t.\t-\t.\tID=gene-gB;locus_tag=gB
c1\tt\tgene\t3\t10\t.\t+\t.\tID=gene-gC;locus_tag=gC
c1\tt\tgene\t15\t18\t.\t-\t.\tID=gene-gF;locus_tag=gF
c9\tt\tgene\t1\t5\t.\t+\t.\tID=gene-gD;locus_tag=gD
c2\tt\tgene\t9\t12\t.\t+\t.\tID=gene-gG;locus_tag=gG
c2\tt\tgene\t2\t3\t.\t.\t.\tID=gene-gU;locus_tag=gU
"""
GENES = ["gA", "gB", "gC", "gD", "gE", "gF", "gG", "gU"]
# Window upstream 4, downstream 2, read 5'->3' on the gene's strand.
EXPECTED = {
    "gA": "AACCGG",  # '+', TSS 9: positions 5..10
    "gB": "CGTNAA",  # '-', TSS 12: positions 11..16 = TTNACG, reverse complement
    "gC": "ACGT",  # '+', TSS 3: positions -1..4 clipped to 1..4
    "gF": "TGCAA",  # '-', TSS 18: positions 17..22 clipped to 17..21 = TTGCA, reverse complement
    "gG": "AAAATT",  # other contig
}


def write_inputs(tmp_path, genome=GENOME, annotation=GFF3, genes=GENES, gz=False):
    fasta = tmp_path / ("genome.fa.gz" if gz else "genome.fa")
    if gz:
        fasta.write_bytes(gzip.compress(genome.encode()))
    else:
        fasta.write_text(genome)
    gff = tmp_path / "annotation.gff3"
    gff.write_text(annotation)
    expression = tmp_path / "expression.tsv"
    pd.DataFrame({"gene": genes, "s1": 1.0}).to_csv(expression, sep="\t", index=False)
    return fasta, gff, expression


def read_fasta(path):
    records, name = {}, None
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:]
            records[name] = ""
        else:
            records[name] += line
    return records


def run(tmp_path, **kwargs):
    fasta, gff, expression = write_inputs(tmp_path, **kwargs)
    out = tmp_path / "out"
    missing = extract_promoters(fasta, gff, expression, out / "promoters.fa", out / "promoters.missing.tsv",
                                upstream=4, downstream=2)
    return read_fasta(out / "promoters.fa"), pd.read_csv(out / "promoters.missing.tsv", sep="\t"), missing


@pytest.mark.parametrize("gz", [False, True])
def test_strand_clipping_and_reasons_exact(tmp_path, gz):
    records, missing, _ = run(tmp_path, gz=gz)
    assert records == EXPECTED
    assert list(records) == ["gA", "gB", "gC", "gF", "gG"]  # expression order
    assert missing.values.tolist() == [
        ["gC", "clipped at contig end"],
        ["gD", "contig missing in FASTA"],
        ["gE", "not in annotation"],
        ["gF", "clipped at contig end"],
        ["gU", "unknown strand"],
    ]


def test_bgzip_fasta(tmp_path):
    Bgzf = pytest.importorskip("Bio.bgzf")
    fasta = tmp_path / "genome.fa.bgz"
    with Bgzf.BgzfWriter(str(fasta), "wb") as fh:
        fh.write(GENOME.encode())
    _, gff, expression = write_inputs(tmp_path)
    extract_promoters(fasta, gff, expression, tmp_path / "p.fa", tmp_path / "m.tsv", upstream=4, downstream=2)
    assert read_fasta(tmp_path / "p.fa") == EXPECTED


def test_downstream_zero_and_gtf(tmp_path):
    gtf = "\n".join(
        f'{line.split(chr(9))[0]}\tt\tgene\t' + "\t".join(line.split("\t")[3:8])
        + f'\tgene_id "{line.split("locus_tag=")[1]}";'
        for line in GFF3.splitlines()[1:]
    ) + "\n"
    fasta, gff, expression = write_inputs(tmp_path, annotation=gtf)
    extract_promoters(fasta, gff, expression, tmp_path / "p.fa", tmp_path / "m.tsv", upstream=3, downstream=0)
    records = read_fasta(tmp_path / "p.fa")
    assert records["gA"] == "ACC"  # positions 6..8, ends right before the TSS
    assert records["gB"] == "GTN"  # positions 13..15 = NAC, reverse complemented


def test_no_genome_configured_lists_every_gene(tmp_path):
    _, _, expression = write_inputs(tmp_path)
    out = tmp_path / "p.fa"
    missing = extract_promoters(None, None, expression, out, tmp_path / "m.tsv")
    assert out.read_text() == ""
    assert missing["gene"].tolist() == GENES
    assert set(missing["reason"]) == {"no genome configured"}
    assert pd.read_csv(tmp_path / "m.tsv", sep="\t").equals(missing)


def test_annotation_without_expression_genes(tmp_path):
    fasta, gff, expression = write_inputs(tmp_path, genes=["YAL001C", "YAL002W"])
    with pytest.raises(InputError) as err:
        extract_promoters(fasta, gff, expression, tmp_path / "p.fa", tmp_path / "m.tsv")
    assert "annotation.gff3" in str(err.value) and "YAL001C" in str(err.value)
    assert "ID, locus_tag" in str(err.value)
    assert not (tmp_path / "p.fa").exists()


def test_fasta_without_annotated_contigs(tmp_path):
    fasta, gff, expression = write_inputs(tmp_path, genome=">chrX\nACGTACGT\n")
    with pytest.raises(InputError, match=r"genome\.fa: no expression gene got a promoter.*chrX"):
        extract_promoters(fasta, gff, expression, tmp_path / "p.fa", tmp_path / "m.tsv")


def test_reverse_complement_iupac():
    assert reverse_complement("ACGTNRYacgt") == "acgtRYNACGT"


def test_real_yeast_gff3_and_gtf_windows(shared_data, tmp_path):
    from Bio import SeqIO

    folder = shared_data / "yeast_chrI_ncbi"
    fasta = folder / "ScerR64_I_GCF_000146045.2_R64_genomic.fna.gz"
    expression = tmp_path / "expression.tsv"
    pd.DataFrame({"gene": ["YAL067C", "YAL067W-A"], "s": 1.0}).to_csv(expression, sep="\t", index=False)
    results = []
    for name in ("ScerR64_I.gff.gz", "ScerR64_I.gtf.gz"):
        out = tmp_path / f"{name}.fa"
        extract_promoters(fasta, folder / name, expression, out, tmp_path / "m.tsv", upstream=50, downstream=10)
        results.append(read_fasta(out))
    assert results[0] == results[1]
    with gzip.open(fasta, "rt") as fh:
        chrom = next(SeqIO.parse(fh, "fasta")).seq.upper()
    # YAL067C: '-' strand, end 9016; YAL067W-A: '+' strand, start 2480 (1-based).
    assert results[0]["YAL067C"] == str(chrom[9016 - 10 : 9016 + 50].reverse_complement())
    assert results[0]["YAL067W-A"] == str(chrom[2480 - 1 - 50 : 2480 - 1 + 10])
    assert results[0]["YAL067W-A"][50:53] == "ATG"  # the start codon follows the upstream part


def test_real_ecoli_b0001_upstream(shared_data, tmp_path):
    folder = shared_data / "ecoli_precise278"
    expression = tmp_path / "expression.tsv"
    pd.DataFrame({"gene": ["b0001", "b0002"], "s": 1.0}).to_csv(expression, sep="\t", index=False)
    out = tmp_path / "p.fa"
    missing = extract_promoters(folder / "genome.fasta.gz", folder / "genome.gff3.gz", expression, out,
                                tmp_path / "m.tsv", upstream=100, downstream=0)
    records = read_fasta(out)
    assert records["b0001"].endswith("ACATCC") and len(records["b0001"]) == 100
    assert missing.empty
