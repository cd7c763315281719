# Rules of the `download` stage (see STYLE: rule -> workflow/scripts/download.py -> src/grnflow/download.py).


# Downloads run on the submitting host: cluster compute nodes often have no internet.
# `download.*` settings (mirror, retries, timeout) are read from the config in the script,
# not passed as params, so changing them never re-fetches a verified cache entry.
rule download:
    output:
        f"{DOWNLOAD_CACHE}/{{sha256}}/{{name}}",
    log:
        "logs/download/{sha256}/{name}.log",
    benchmark:
        "benchmarks/download/{sha256}/{name}.tsv"
    wildcard_constraints:
        sha256="[0-9a-f]{64}",
        name="[^/]+",
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        # The {url, sha256[, member][, member_sha256]} source cached under this path.
        spec=lambda wc: download_specs()[f"{DOWNLOAD_CACHE}/{wc.sha256}/{wc.name}"],
    script:
        "../scripts/download.py"
