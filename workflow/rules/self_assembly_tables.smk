# Self-assembly: rules of helper sa_tables (Table 1 and Table 2; see their artifacts in
# src/bioplausible/self_assembly/specs.py). Table 1's cells are the lead's rule sa_train (self_assembly.smk).
#   results/models/self_assembly/lr_search/{dataset}.pt   OPTIONAL: the learning-rate search on a validation split
# sa_lr_search is not an input of any artifact: it was run once and its selection was copied into
# self_assembly.train.algorithms of the scale configs (scores in the comments there).
from bioplausible.self_assembly import lr_search as sa_lrs


rule sa_lr_search:
    input:
        unpack(sa_lrs.rule_inputs),
    output:
        **compute_outputs(sa_lrs.result("{sa_dataset}")),
    log:
        log_of("self_assembly", "lr_search_{sa_dataset}"),
    benchmark:
        benchmark_of("self_assembly", "lr_search_{sa_dataset}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: {
            "dataset": w.sa_dataset,
            "seed": SA["tab1"]["lr_search"]["seed"],
            "grid": SA["tab1"]["lr_search"],
            "self_assembly": {"train": SA["train"]},
        },
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "self_assembly: learning-rate search on {wildcards.sa_dataset} (validation split)"
    script:
        "../scripts/sa_lr_search.py"
