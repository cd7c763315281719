# grnflow: GRN inference with GENER and MTLGRN, compared against honest baselines.
# Run the demo with `snakemake -c2` (or `make run`); see README.md.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# common.smk checks the config files (duplicate keys) and validates the config first.
include: "workflow/rules/common.smk"


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)) if DATASETS else "NONE",
    split="|".join(SPLITS),
    seed=r"\d+",
    method="|".join(METHODS),


include: "workflow/rules/download.smk"
include: "workflow/rules/presets.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/normalize.smk"
include: "workflow/rules/samples.smk"
include: "workflow/rules/network.smk"
include: "workflow/rules/promoters.smk"
include: "workflow/rules/pairs.smk"
include: "workflow/rules/gener.smk"
include: "workflow/rules/mtlgrn.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/provenance.smk"


rule all:
    default_target: True
    input:
        all_targets(),
