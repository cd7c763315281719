# Rules of the `download` stage (see STYLE: rule -> workflow/scripts/download.py -> src/grnflow/download.py).


def download_spec(wildcards):
    """The `{url, sha256[, member][, member_sha256]}` source cached under this path."""
    path = f"{DOWNLOAD_CACHE}/{wildcards.sha256}/{wildcards.name}"
    specs = download_specs()
    if path not in specs:
        raise ValueError(
            f"{path} is not the cache path of any URL source of the selected datasets "
            f"(known: {', '.join(sorted(specs)) or 'none'})"
        )
    return specs[path]


# Downloads run on the submitting host: cluster compute nodes often have no internet.
# `download.*` settings (mirror, retries, timeout) are read from the config in the script,
# not passed as params, so changing them never re-fetches a verified cache entry.
rule download:
    output:
        f"{DOWNLOAD_CACHE}/{{sha256}}/{{name}}",
    log:
        "logs/download/{sha256}/{name}.log",
    wildcard_constraints:
        sha256="[0-9a-f]{64}",
        name="[^/]+",
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        spec=download_spec,
    script:
        "../scripts/download.py"
