# Self-assembly: rules of helper sa_sweeps (see its artifacts in src/bioplausible/self_assembly/specs.py).
# The two sweeps of the self-assembly paper, each job several sweep points on data loaded once:
#   results/models/self_assembly/fig2/{dataset}/{dd}.pt    Fig. 2: every width ratio r x seed, one D_d
#   results/models/self_assembly/fig5/eta_v_{ratio}.pt     Fig. 5: every (eta_Wbar, eta_Vbar) of one eta_V ratio
# The points' parameters come from sweeps.fig2_job / fig5_job (Table 1's protocol plus the figure's overrides).
from bioplausible.self_assembly import sweeps as sa_sweeps


wildcard_constraints:
    sa_dd="identity|relu_jacobian_V|relu|tanh",
    sa_eta_v="[0-9]+([.][0-9]+)?(e-?[0-9]+)?",


rule sa_fig2_sweep:
    input:
        train=paths.rel_data_cache("{sa_dataset}", "train"),
        test=paths.rel_data_cache("{sa_dataset}", "test"),
    output:
        **compute_outputs(sa_sweeps.fig2_model("{sa_dataset}", "{sa_dd}")),
    log:
        log_of("self_assembly", "fig2_{sa_dataset}_{sa_dd}"),
    benchmark:
        benchmark_of("self_assembly", "fig2_{sa_dataset}_{sa_dd}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: sa_sweeps.fig2_job(SA, w.sa_dataset, w.sa_dd),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "self_assembly: Fig. 2 sweep, SAL on {wildcards.sa_dataset} with D_d = {wildcards.sa_dd} (every width ratio and seed)"
    script:
        "../scripts/sa_sweeps.py"


rule sa_fig5_sweep:
    input:
        train=paths.rel_data_cache(SA["fig5"]["dataset"], "train"),
        test=paths.rel_data_cache(SA["fig5"]["dataset"], "test"),
    output:
        **compute_outputs(sa_sweeps.fig5_model("{sa_eta_v}")),
    log:
        log_of("self_assembly", "fig5_eta_v_{sa_eta_v}"),
    benchmark:
        benchmark_of("self_assembly", "fig5_eta_v_{sa_eta_v}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: sa_sweeps.fig5_job(SA, float(w.sa_eta_v)),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "self_assembly: Fig. 5 sweep, eta_V/eta_W = {wildcards.sa_eta_v} x every (eta_Wbar, eta_Vbar)"
    script:
        "../scripts/sa_sweeps.py"
