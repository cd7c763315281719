"""Annotation parsing (GFF3/GTF) and gene ID mapping, on hand-made and real NCBI files."""

import gzip

import pytest

from grnflow.annotation import gene_index, name_to_id, read_annotation
from grnflow.errors import InputError

GFF3 = """##gff-version 3
##sequence-region chr1 1 1000
chr1\tRefSeq\tregion\t1\t1000\t.\t+\t.\tID=chr1:1..1000;Name=I
chr1\tRefSeq\tgene\t100\t200\t.\t+\t.\tID=gene-b0001;Name=thrL;gene=thrL;gene_synonym=ECK0001;locus_tag=b0001
chr1\tRefSeq\tCDS\t100\t200\t.\t+\t0\tID=cds-NP_1;Parent=gene-b0001;Name=NP_1;locus_tag=b0001
chr1\tRefSeq\tgene\t300\t500\t.\t-\t.\tID=gene-b0002;Name=thrA;gene=thrA;gene_synonym=ECK0002,Hs,thrA1,thrD;locus_tag=b0002
chr1\tRefSeq\tgene\t600\t700\t.\t-\t.\tID=gene-b0003;Name=thrB;gene=thrB;gene_synonym=ECK0003,Hs;locus_tag=b0003;Note=a%3Bb
chr1\tRefSeq\tpseudogene\t800\t900\t.\t+\t.\tID=gene-b0004;Name=psX;locus_tag=b0004
"""

GTF = """#gtf-version 2.2
chr1\tRefSeq\tgene\t100\t200\t.\t+\t.\tgene_id "b0001"; transcript_id ""; gene "thrL"; locus_tag "b0001";
chr1\tRefSeq\texon\t100\t200\t.\t+\t.\tgene_id "b0001"; transcript_id "t1"; gene "thrL";
chr1\tRefSeq\tgene\t300\t500\t.\t-\t.\tgene_id "b0002"; transcript_id ""; gene "thrA";
"""


def test_gff3_features_and_attributes(tmp_path):
    path = tmp_path / "a.gff3"
    path.write_text(GFF3)
    table = read_annotation(path)
    assert table.attrs["format"] == "gff3"
    assert table["ID"].tolist() == ["gene-b0001", "gene-b0002", "gene-b0003"]
    assert table["start"].tolist() == [100, 300, 600]
    assert table["strand"].tolist() == ["+", "-", "-"]
    assert table["line"].tolist() == [4, 6, 7]
    assert table["gene_synonym"].tolist()[1] == "ECK0002,Hs,thrA1,thrD"
    everything = read_annotation(path, feature_types=None)
    assert everything["type"].tolist() == ["region", "gene", "CDS", "gene", "gene", "pseudogene"]


def test_gzip_detected_by_content_not_name(tmp_path):
    path = tmp_path / "annotation.txt"
    path.write_bytes(gzip.compress(GTF.encode()))
    table = read_annotation(path)
    assert table.attrs["format"] == "gtf"
    assert table["gene_id"].tolist() == ["b0001", "b0002"]
    assert table["gene"].tolist() == ["thrL", "thrA"]


def test_gtf_detected_without_header(tmp_path):
    path = tmp_path / "a.gff"
    path.write_text("\n".join(GTF.splitlines()[1:]) + "\n")
    assert read_annotation(path).attrs["format"] == "gtf"


def test_gtf_gene_without_gene_id_names_file_and_line(tmp_path):
    path = tmp_path / "bad.gtf"
    path.write_text(GTF + 'chr1\tRefSeq\tgene\t600\t700\t.\t+\t.\tgene "thrB"; transcript_id "";\n')
    with pytest.raises(InputError, match=r"bad\.gtf, line 5: GTF gene line without a `gene_id`"):
        read_annotation(path)


def test_bad_coordinate_names_line(tmp_path):
    path = tmp_path / "bad.gff3"
    path.write_text(GFF3.replace("\t600\t700\t", "\t6OO\t700\t"))
    with pytest.raises(InputError, match=r"bad\.gff3, line 7: start coordinate '6OO'"):
        read_annotation(path)


def test_gene_index_strips_id_prefix_and_keeps_wanted_order(tmp_path):
    path = tmp_path / "a.gff3"
    path.write_text(GFF3)
    index = gene_index(path, ["b0003", "b0001", "b9999"])
    assert index.attribute == "ID" and index.strip_prefix
    assert index.features.index.tolist() == ["b0003", "b0001"]
    assert index.features["start"].tolist() == [600, 100]
    assert index.missing == ["b9999"]


def test_gene_index_picks_attribute_matching_most(tmp_path):
    path = tmp_path / "a.gff3"
    path.write_text(GFF3)
    index = gene_index(path, ["thrA", "thrB", "b0001"], id_attributes=["locus_tag", "Name"])
    assert index.attribute == "Name"
    assert index.features.index.tolist() == ["thrA", "thrB"]
    # Synonym lists are split on commas.
    index = gene_index(path, ["thrA1", "ECK0003"], id_attributes=["gene_synonym"])
    assert index.features["start"].tolist() == [300, 600]


def test_feature_types_select_pseudogenes(tmp_path):
    path = tmp_path / "a.gff3"
    path.write_text(GFF3)
    assert gene_index(path, ["b0004", "b0001"]).missing == ["b0004"]
    index = gene_index(path, ["b0004", "b0001"], feature_types=["gene", "pseudogene"])
    assert index.missing == [] and index.features.loc["b0004", "type"] == "pseudogene"


def test_no_match_error_names_file_ids_and_attributes(tmp_path):
    path = tmp_path / "a.gff3"
    path.write_text(GFF3)
    with pytest.raises(InputError) as err:
        gene_index(path, ["YAL001C", "YAL002W"], id_attributes=["ID", "locus_tag"])
    message = str(err.value)
    assert "a.gff3" in message and "YAL001C, YAL002W" in message and "ID, locus_tag" in message


def test_name_to_id_primary_names_beat_synonyms_and_ambiguous_left_out(tmp_path):
    path = tmp_path / "a.gff3"
    path.write_text(GFF3)
    mapping = name_to_id(gene_index(path, ["b0001", "b0002", "b0003"]))
    assert mapping["thrL"] == "b0001"
    assert mapping["thrA"] == "b0002" and mapping["thrA1"] == "b0002"
    assert mapping["ECK0003"] == "b0003"
    assert mapping["b0002"] == "b0002"
    assert "Hs" not in mapping  # synonym of both b0002 and b0003


def test_real_ncbi_gff3_and_gtf_agree(shared_data):
    folder = shared_data / "yeast_chrI_ncbi"
    gff = read_annotation(folder / "ScerR64_I.gff.gz")
    gtf = read_annotation(folder / "ScerR64_I.gtf.gz")
    assert (gff.attrs["format"], gtf.attrs["format"]) == ("gff3", "gtf")
    assert len(gff) == 100
    wanted = ["YAL067C", "YAL068C", "YAL065C"]
    a = gene_index(gff, wanted, feature_types=["gene"])
    b = gene_index(gtf, wanted, feature_types=["gene"])
    assert (a.attribute, b.attribute) == ("ID", "locus_tag")
    cols = ["seqid", "start", "end", "strand"]
    assert a.features[cols].equals(b.features[cols])
    assert a.features.loc["YAL067C", cols].tolist() == ["NC_001133.9", 7235, 9016, "-"]
    assert name_to_id(a)["SEO1"] == "YAL067C"


def test_real_ecoli_names_map_to_b_numbers(shared_data):
    path = shared_data / "ecoli_precise278" / "genome.gff3.gz"
    index = gene_index(path, ["b3357", "b0002", "b0683"])
    assert index.attribute == "ID"
    mapping = name_to_id(index)
    assert (mapping["crp"], mapping["thrA"], mapping["fur"]) == ("b3357", "b0002", "b0683")
