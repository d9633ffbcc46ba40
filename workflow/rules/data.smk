# Data: one verified, whole-split uint8 cache per dataset and split (bioplausible.data).
#   results/data/{dataset}/{split}.pt     {images, targets, classes, meta, extras}
#   results/data/{dataset}/{split}.json   manifest: meta (sources, md5/sha256, verified) + cache sha256
# Files come from config data.mirror, earlier downloads under results/data/raw/, or a download
# (data.download); with data.fixtures they are generated fixtures in the real formats.
from bioplausible.data import DATASETS as _DATA_DATASETS
from bioplausible.data import rel_data_manifest as _rel_data_manifest
from bioplausible.paths import rel_data_cache as _rel_data_cache


rule data_cache:
    output:
        cache=_rel_data_cache("{dataset}", "{split}"),
        manifest=_rel_data_manifest("{dataset}", "{split}"),
    log:
        "results/logs/data/{dataset}_{split}.log",
    wildcard_constraints:
        dataset="|".join(_DATA_DATASETS),
        split="train|test|val",
    conda:
        CONDA_ENV
    params:
        mirror=lookup(dpath="data/mirror", within=config),
        download=lookup(dpath="data/download", within=config),
        allow_unverified=lookup(dpath="data/allow_unverified", within=config),
        fixtures=lookup(dpath="data/fixtures", within=config),
    message:
        "Caching {wildcards.dataset}/{wildcards.split} (checked against published md5 sums)"
    script:
        "../scripts/data_cache.py"
