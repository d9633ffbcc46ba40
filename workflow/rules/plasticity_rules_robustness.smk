# Plasticity rules: compute rules of the robustness artifacts (pr_fig4, pr_tab2, pr_fig5a, pr_fig5b).
#   results/attacks/plasticity_rules/l2/{dataset}/{net}_s{seed}.pt   the targeted raw-gradient L2 attack (catalog A7)
#   on one network of pr_train_net, with the double-softmax loss, the step-size sweep and the foolbox diagnostics.


rule pr_attack:
    input:
        net=pr_exp.trained_net("{dataset}", "{net}", "{seed}"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(pr_exp.attack_result("{dataset}", "{net}", "{seed}")),
    log:
        log_of("plasticity_rules", "attack_{dataset}_{net}_s{seed}"),
    benchmark:
        benchmark_of("plasticity_rules", "attack_{dataset}_{net}_s{seed}")
    wildcard_constraints:
        dataset="mnist|fashion_mnist",
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda wildcards: pr_exp.attack_params(PR, wildcards.dataset, wildcards.net),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "plasticity_rules: targeted L2 attack on the {wildcards.net} network ({wildcards.dataset}, seed {wildcards.seed})"
    script:
        "../scripts/plasticity_attack.py"
