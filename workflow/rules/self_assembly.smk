# Self-assembly of a biologically plausible learning circuit (Liao et al. 2024): Table 1's runs.
#   results/models/self_assembly/{dataset}/{algorithm}.pt   one algorithm on one dataset, every seed
# The figures' sweeps (rules in self_assembly_*.smk) run the same script with their own overrides.
from bioplausible.self_assembly import experiment as sa_exp

SA = cfg("self_assembly")


wildcard_constraints:
    sa_dataset="cifar10|mnist|fashion_mnist|chestmnist|pathmnist|svhn|stl10",
    sa_algorithm="sal|sgd|fa|wm|kp",


rule sa_train:
    input:
        train=paths.rel_data_cache("{sa_dataset}", "train"),
        test=paths.rel_data_cache("{sa_dataset}", "test"),
    output:
        **compute_outputs(sa_exp.model("{sa_dataset}", "{sa_algorithm}")),
    log:
        log_of("self_assembly", "train_{sa_dataset}_{sa_algorithm}"),
    benchmark:
        benchmark_of("self_assembly", "train_{sa_dataset}_{sa_algorithm}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: sa_exp.run_params(SA, w.sa_dataset, w.sa_algorithm),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "self_assembly: training {wildcards.sa_algorithm} on {wildcards.sa_dataset} (every seed)"
    script:
        "../scripts/sa_train.py"
