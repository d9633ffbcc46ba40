# SoftHebb unsupervised baselines (K-means, PCA, SoftHebb K=100): sh_fig6a, sh_fig6b.
#   results/models/softhebb/{dataset}/wta_{variant}_k{K}_s{seed}.pt          SoftHebb with K neurons + read-out
#   results/models/softhebb/{dataset}/{method}{K}_s{seed}.pt                 fitted K-means centroids / PCA axes
#   results/models/softhebb/{dataset}/{method}{K}_{activation}_s{seed}.pt    their features + read-out
# Their noise + PGD curves come from rule sh_robustness (softhebb.smk), keyed by these model names.
from bioplausible.softhebb import fig6 as sh_fig6


rule sh_train_wta_k:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_fig6.sh_model("{dataset}", "{variant}", "{K}", "{seed}")),
    log:
        log_of("softhebb", "train_wta_{dataset}_{variant}_k{K}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "train_wta_{dataset}_{variant}_k{K}_s{seed}")
    wildcard_constraints:
        K=r"\d+",
    conda:
        CONDA_ENV
    # 1 thread: the read-out's 64 x 100 Adam steps are overhead-bound; a second thread slowed them ~10x on a busy machine
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda wildcards: sh_fig6.sh_rule_params(SH, wildcards),
        scale=SCALE,
        kind="wta",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: training {wildcards.variant} with K={wildcards.K} on {wildcards.dataset} (seed {wildcards.seed}) + read-out"
    script:
        "../scripts/softhebb_train.py"


rule sh_fit_projection:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
    output:
        **compute_outputs(
            sh_fig6.projection_fit("{dataset}", "{method}", "{K}", "{seed}")
        ),
    log:
        log_of("softhebb", "fit_{dataset}_{method}{K}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "fit_{dataset}_{method}{K}_s{seed}")
    wildcard_constraints:
        method="kmeans|pca",
        K=r"\d+",
    conda:
        CONDA_ENV
    threads: 2
    params:
        cfg=lambda wildcards: sh_fig6.fit_rule_params(SH, wildcards),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: fitting {wildcards.method} with K={wildcards.K} on {wildcards.dataset} (seed {wildcards.seed})"
    script:
        "../scripts/softhebb_fit_projection.py"


rule sh_train_projection:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
        test=paths.rel_data_cache("{dataset}", "test"),
        projection=sh_fig6.projection_fit("{dataset}", "{method}", "{K}", "{seed}"),
    output:
        **compute_outputs(
            sh_fig6.projection_model(
                "{dataset}", "{method}", "{K}", "{activation}", "{seed}"
            )
        ),
    log:
        log_of("softhebb", "train_{dataset}_{method}{K}_{activation}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "train_{dataset}_{method}{K}_{activation}_s{seed}")
    wildcard_constraints:
        method="kmeans|pca",
        K=r"\d+",
    conda:
        CONDA_ENV
    # 1 thread: the read-out's 64 x 100 Adam steps are overhead-bound; a second thread slowed them ~10x on a busy machine
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda wildcards: sh_fig6.projection_rule_params(SH, wildcards),
        scale=SCALE,
        kind="projection",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: {wildcards.activation} read-out on {wildcards.method} {wildcards.K} features ({wildcards.dataset}, seed {wildcards.seed})"
    script:
        "../scripts/softhebb_train.py"
