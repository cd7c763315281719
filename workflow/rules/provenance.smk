# The provenance record: config, seeds, input checksums, package versions and devices.


def provenance_inputs():
    """{dataset: {input key: path}} of every input the selected datasets read."""
    return {
        ds: {key: dataset_input(ds, key) for key in INPUT_NAMES if has_input(ds, key)}
        for ds in DATASETS
    }


rule provenance:
    input:
        inputs=[p for files in provenance_inputs().values() for p in files.values()],
        metrics=[m for ds in DATASETS for m in all_job_metrics(ds)],
    output:
        "results/provenance.json",
    params:
        config=config,
        inputs=provenance_inputs(),
    log:
        "logs/provenance.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/provenance.py"
