# SoftHebb (Moraitis et al. 2022): compute rules. Each trained model is one cached result shared by every
# figure that uses it; attacks are cached per model and attack setting.
#   results/models/softhebb/{dataset}/wta_{variant}_s{seed}.pt   SoftHebb / hard-WTA layer + linear read-out
#   results/models/softhebb/{dataset}/mlp_{activation}_s{seed}.pt back-propagation MLP (ReLU or softmax hidden)
#   results/attacks/softhebb/{dataset}/{model}.pt                  noise + PGD curves of one model
from bioplausible.softhebb import experiment as sh_exp

SH = cfg("softhebb")


wildcard_constraints:
    dataset="mnist|fashion_mnist|cifar10",
    variant="|".join(sh_exp.model_variants(SH)),
    activation="relu|softmax",
    seed=r"\d+",


rule sh_train_wta:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_exp.wta_model("{dataset}", "{variant}", "{seed}")),
    log:
        log_of("softhebb", "train_wta_{dataset}_{variant}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "train_wta_{dataset}_{variant}_s{seed}")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=GPU,
    params:
        cfg=lambda wildcards: sh_exp.wta_rule_params(SH, wildcards),
        scale=SCALE,
        kind="wta",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: training {wildcards.variant} on {wildcards.dataset} (seed {wildcards.seed}) + read-out"
    script:
        "../scripts/softhebb_train.py"


rule sh_train_mlp:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_exp.mlp_model("{dataset}", "{activation}", "{seed}")),
    log:
        log_of("softhebb", "train_mlp_{dataset}_{activation}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "train_mlp_{dataset}_{activation}_s{seed}")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=GPU,
    params:
        cfg=lambda wildcards: sh_exp.mlp_rule_params(SH, wildcards),
        scale=SCALE,
        kind="mlp",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: training the {wildcards.activation} MLP on {wildcards.dataset} (seed {wildcards.seed})"
    script:
        "../scripts/softhebb_train.py"


rule sh_robustness:
    input:
        model=paths.rel_model("softhebb", "{dataset}/{model}"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_exp.robustness_result("{dataset}", "{model}")),
    log:
        log_of("softhebb", "robustness_{dataset}_{model}"),
    benchmark:
        benchmark_of("softhebb", "robustness_{dataset}_{model}")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=GPU,
    params:
        cfg=SH["robustness"],
        scale=SCALE,
        dataset="{dataset}",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: noise and PGD robustness of {wildcards.model} on {wildcards.dataset}"
    script:
        "../scripts/softhebb_robustness.py"
