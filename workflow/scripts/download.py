"""Adapter: fetch one URL source into the download cache (see grnflow.download)."""

from grnflow.download import fetch
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    spec = snakemake.params.spec
    settings = snakemake.config["download"]
    fetch(
        url=spec["url"],
        sha256=spec["sha256"],
        dest=snakemake.output[0],
        member=spec.get("member"),
        member_sha256=spec.get("member_sha256"),
        mirror=settings.get("mirror"),
        retries=settings["retries"],
        timeout=settings["timeout"],
    )
