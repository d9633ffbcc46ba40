# Self-assembly: rules of helper sa_matrices (see its artifacts in src/bioplausible/self_assembly/specs.py).
#   results/models/self_assembly/fig3/matrices.pt   Fig. 3: one SAL run (8 hidden x 60), weights + per-epoch stats
#   results/models/self_assembly/fig4/ablation.pt   Fig. 4: 8 plastic subsets + Linear + SGD, every seed
from bioplausible.self_assembly import matrix_runs as sa_mat


rule sa_fig3_run:
    input:
        train=paths.rel_data_cache(SA["fig3"]["dataset"], "train"),
        test=paths.rel_data_cache(SA["fig3"]["dataset"], "test"),
    output:
        **compute_outputs(sa_mat.FIG3_MODEL),
    log:
        log_of("self_assembly", "fig3_run"),
    benchmark:
        benchmark_of("self_assembly", "fig3_run")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=sa_mat.fig3_params(SA),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "self_assembly: Fig. 3 SAL run (learned matrices)"
    script:
        "../scripts/sa_matrices.py"


rule sa_fig4_runs:
    input:
        train=paths.rel_data_cache(SA["fig4"]["dataset"], "train"),
        test=paths.rel_data_cache(SA["fig4"]["dataset"], "test"),
    output:
        **compute_outputs(sa_mat.FIG4_MODEL),
    log:
        log_of("self_assembly", "fig4_runs"),
    benchmark:
        benchmark_of("self_assembly", "fig4_runs")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=sa_mat.fig4_params(SA),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "self_assembly: Fig. 4 plasticity ablation (8 subsets, Linear, SGD)"
    script:
        "../scripts/sa_matrices.py"
