# The provenance record: config, seeds, input checksums, package versions and devices.


rule provenance:
    input:
        inputs=[p for files in provenance_inputs().values() for p in files.values()],
        metrics=[m for ds in DATASETS for m in all_job_metrics(ds)],
    output:
        "results/provenance.json",
    log:
        "logs/provenance.log",
    benchmark:
        "benchmarks/provenance.tsv"
    conda:
        "../../envs/report.yaml"
    params:
        config=config,
        inputs=provenance_inputs(),
        # Not inputs (no rule makes logs): the jobs that read the inputs log their sha256.
        job_logs=[
            f"logs/{ds}/{stage}.log"
            for ds in DATASETS
            for stage in ("normalize", "network", "samples", "promoters", "features")
        ],
    script:
        "../scripts/provenance.py"
