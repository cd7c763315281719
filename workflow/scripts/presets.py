"""Adapter of the preset rules (workflow/rules/presets.smk): one package call per rule."""

from grnflow import presets
from grnflow.logging import log_to

i, o, p = snakemake.input, snakemake.output, snakemake.params
CALLS = {
    "prepare_precise_samples": lambda: presets.precise_samples(
        i.sample_table, i.annotation, o[0], p.max_condition_differences, reference=i.reference
    ),
    "prepare_precise_gene_features": lambda: presets.precise_gene_features(i.gene_table, i.tfs, o[0]),
    "prepare_dream4_expression": lambda: presets.dream4_knockouts(i.expression, o.expression, o.samples),
    "prepare_dream5_expression": lambda: presets.dream5_expression(i.expression, i.gene_ids, o[0]),
    "prepare_gold_standard": lambda: presets.dream_gold_standard(
        i.gold_standard, o[0], gene_ids=i.gene_ids or None
    ),
    "prepare_biogrid_network": lambda: presets.biogrid_network(i.biogrid, o[0], p.system_type),
}

with log_to(snakemake.log[0]):
    CALLS[snakemake.rule]()
