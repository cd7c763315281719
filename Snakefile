# grnflow: GRN inference with GENER and MTLGRN, compared against honest baselines.
# Run the demo with `snakemake -c2` (or `make run`); see README.md.

import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

# The workflow's own package, importable here (also when used as a module, see config/README.md).
GRNFLOW_ROOT = Path(str(workflow.current_basedir))
sys.path.insert(0, str(GRNFLOW_ROOT / "src"))

from grnflow.config import check_yaml_files
from grnflow.userconfig import coerce_cli_values, merge_user_datasets, run_summary


configfile: "config/config.yaml"


# A key given twice in a config file is refused (YAML would keep the last one silently).
check_yaml_files(workflow.configfiles)

# A user config file's `datasets` replace the demo's instead of merging into them (config/README.md).
DATASETS_REPLACED = merge_user_datasets(
    config, workflow.config_settings.configfiles, workflow.config_settings.config
)
# `--config seeds=[0,1]` arrives as strings inside the list: convert them where the schema says.
coerce_cli_values(
    config,
    workflow.config_settings.config,
    GRNFLOW_ROOT / "workflow/schemas/config.schema.yaml",
)


validate(config, "workflow/schemas/config.schema.yaml")


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
include: "workflow/rules/gene_names.smk"
include: "workflow/rules/pairs.smk"
include: "workflow/rules/gener.smk"
include: "workflow/rules/mtlgrn.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/infer_common.smk"
include: "workflow/rules/infer.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/provenance.smk"


if workflow.is_main_process:
    print(
        run_summary(
            config,
            DATASETS,
            workflow.configfiles,
            DATASETS_REPLACED,
            workflow.config_settings.configfiles,
            list(workflow.config_settings.config),
        ),
        file=sys.stderr,
    )


rule all:
    default_target: True
    input:
        all_targets(),
        infer_targets(),
