# SoftHebb attack-hyperparameter sweeps (PGD iterations and step size): sh_fig9a, sh_fig9b, sh_fig9c.
# One compute rule per (dataset, model), cached per model and attack setting (params):
#   results/attacks/softhebb/pgd_sweeps/{dataset}/{model}.pt   iterations sweep + step-size sweep
# The models are the ones sh_train_wta / sh_train_mlp train (softhebb.smk).
from bioplausible.softhebb import attack_sweeps as sh_sweeps


rule sh_pgd_sweeps:
    input:
        model=lambda wildcards: sh_sweeps.model_path(wildcards.dataset, wildcards.model),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_sweeps.sweep_result("{dataset}", "{model}")),
    log:
        log_of("softhebb", "pgd_sweeps_{dataset}_{model}"),
    benchmark:
        benchmark_of("softhebb", "pgd_sweeps_{dataset}_{model}")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=GPU,
    params:
        cfg=SH["attack_sweeps"],
        scale=SCALE,
        dataset="{dataset}",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: PGD iteration and step-size sweeps of {wildcards.model} on {wildcards.dataset}"
    script:
        "../scripts/softhebb_pgd_sweeps.py"
