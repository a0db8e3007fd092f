"""Rule download_archive: fetch, verify and unpack one audio archive into data.audio_root."""

import pandas as pd

from augeval.atomic import write_tsv
from augeval.data.download import fetch_archive, read_checksums
from augeval.errors import DownloadError
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    cfg = sm.params.download  # defaults: filled in from the config schema
    archives = {a.stem: a for a in read_checksums(sm.input.checksums)}
    if sm.wildcards.archive not in archives:
        raise DownloadError(f"{sm.wildcards.archive} is not listed in {sm.input.checksums}")
    archive = archives[sm.wildcards.archive]
    files = fetch_archive(
        archive,
        cfg["base_url"],
        cfg["archives_dir"],
        sm.params.audio_root,
        keep_archive=cfg["keep_archives"],
        retries=cfg["retries"],
    )
    receipt = pd.DataFrame({"archive": archive.name, "sha256": archive.sha256, "path": files})
    write_tsv(receipt, sm.output[0])


run_logged(sm.log[0], main)
