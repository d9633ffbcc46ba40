# Oja's rule: the online MLP runs (R5X, R10X, R5N, R5FA) shared by Figs 1-6 and S1, and their θ grid search.
#   results/sims/oja/online/{run}.npz   both methods (plain BP/FA and + Oja), every seed, every log
#   results/sims/oja/grid/{run}.npz     the grid search (an optional target; its choice is committed to the config)
from bioplausible.oja import experiment as oja_exp

OJA = cfg("oja")


wildcard_constraints:
    oja_run="|".join(oja_exp.RUNS),


rule oja_online_run:
    input:
        **oja_exp.mnist_inputs(),
    output:
        **compute_outputs(oja_exp.online_run("{oja_run}")),
    log:
        log_of("oja", "online_{oja_run}"),
    benchmark:
        benchmark_of("oja", "online_{oja_run}")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: oja_exp.run_params(OJA["online"], wildcards.oja_run),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "oja: online run {wildcards.oja_run} (both methods, every seed, one vectorised batch)"
    script:
        "../scripts/oja_online.py"


rule oja_grid_search:
    input:
        **oja_exp.mnist_inputs(),
    output:
        **compute_outputs(oja_exp.grid_search("{oja_run}")),
    log:
        log_of("oja", "grid_{oja_run}"),
    benchmark:
        benchmark_of("oja", "grid_{oja_run}")
    conda:
        CONDA_ENV
    threads: 2
    params:
        cfg=lambda wildcards: oja_exp.grid_params(OJA["online"], wildcards.oja_run),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "oja: theta grid search for {wildcards.oja_run} (optional target; commit its choice to the config)"
    script:
        "../scripts/oja_online.py"
