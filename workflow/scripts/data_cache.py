"""Snakemake script of rule data_cache (workflow/rules/data.smk): build one split's cache.

Everything the data layer logs goes to the rule's log; warnings (an UNVERIFIED file accepted with
data.allow_unverified) also go to the console.
"""

import logging
import sys
from pathlib import Path

from bioplausible.data import build_cache

snakemake = globals()["snakemake"]  # injected by Snakemake's script: directive


def main(smk) -> None:
    dataset, split = smk.wildcards.dataset, smk.wildcards.split
    cache, manifest = Path(smk.output.cache), Path(smk.output.manifest)
    cache_root = cache.parent.parent  # results/data/<dataset>/<split>.pt -> results/data
    with open(smk.log[0], "w") as log_file:
        to_log = logging.StreamHandler(log_file)
        to_log.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        to_console = logging.StreamHandler(sys.__stderr__)
        to_console.setLevel(logging.WARNING)
        for name in ("bioplausible.data", "py.warnings"):
            logger = logging.getLogger(name)
            logger.setLevel(logging.INFO)
            logger.addHandler(to_log)
            logger.addHandler(to_console)
        logging.captureWarnings(True)
        try:
            result = build_cache(
                dataset,
                split,
                cache_root,
                mirror=smk.params.mirror,
                download=bool(smk.params.download),
                allow_unverified=bool(smk.params.allow_unverified),
                fixtures=bool(smk.params.fixtures),
            )
        except Exception:
            logging.getLogger("bioplausible.data").exception("building %s/%s failed", dataset, split)
            raise
    for path in (cache, manifest):
        if not path.is_file():
            raise RuntimeError(f"build_cache did not write {path} (cache_root {cache_root})")
    print(f"{dataset}/{split}: {result.meta['n']} examples, verified={result.meta['verified']}")


main(snakemake)
