# SoftHebb first-epoch (online, batch 1) protocol: sh_fig4b, sh_fig4c, sh_fig4d.
#   results/models/softhebb/{dataset}/online_wta_{online_variant}_s{seed}.pt  one online pass + read-outs + curves
#   results/models/softhebb/{dataset}/online_mlp_s{seed}.pt                   MLP-1ep + its test cross-entropy curve
# One thread per job (the online loop is a chain of small ops; see workflow/scripts/softhebb_online.py),
# so two of these jobs share the 2 cores.
from bioplausible.softhebb import online as sh_online


rule sh_online_wta:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(
            sh_online.online_wta_result("{dataset}", "{online_variant}", "{seed}")
        ),
    log:
        log_of("softhebb", "online_wta_{dataset}_{online_variant}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "online_wta_{dataset}_{online_variant}_s{seed}")
    wildcard_constraints:
        online_variant="|".join(sh_online.online_variants(SH)),
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: sh_online.online_wta_rule_params(SH, wildcards),
        scale=SCALE,
        kind="wta",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: online first epoch of {wildcards.online_variant} on {wildcards.dataset} (seed {wildcards.seed})"
    script:
        "../scripts/softhebb_online.py"


rule sh_online_mlp:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_online.online_mlp_result("{dataset}", "{seed}")),
    log:
        log_of("softhebb", "online_mlp_{dataset}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "online_mlp_{dataset}_s{seed}")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: sh_online.online_mlp_rule_params(SH, wildcards),
        scale=SCALE,
        kind="mlp",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: one-epoch back-propagation MLP (Table 1) on {wildcards.dataset} (seed {wildcards.seed})"
    script:
        "../scripts/softhebb_online.py"
