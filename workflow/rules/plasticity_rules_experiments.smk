# Plasticity rules: compute rules of the learning-curve and transfer artifacts (pr_fig2, pr_fig3, pr_fig6).
#   results/sims/plasticity_rules/curves/fig2_mnist.npz         Fig. 2: R1 / perceptron / GD curves, T = 1 net
#   results/sims/plasticity_rules/transfer/fig3_{dataset}.npz   Fig. 3: 4 models x re-trainings on one dataset
#   results/sims/plasticity_rules/curves/fig6_mnist.npz         Fig. 6: misclassified-only vs every example, T = 3
# One thread per job: the online loops are chains of small ops (latency-bound; catalog Compute).
from bioplausible.plasticity_rules import curves as pr_curves


rule pr_fig2_curves:
    input:
        train=paths.rel_data_cache("mnist", "train"),
        test=paths.rel_data_cache("mnist", "test"),
        rule=pr_exp.learned_rule("R1"),
    output:
        **compute_outputs(pr_exp.fig2_curves()),
    log:
        log_of("plasticity_rules", "fig2_curves"),
    benchmark:
        benchmark_of("plasticity_rules", "fig2_curves")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=pr_curves.fig2_params(PR),
        scale=SCALE,
        device="cpu",  # a sequential loop of tiny ops: latency-bound, CPU (catalog Compute)
        data=cfg("data"),
    message:
        "plasticity_rules: Fig. 2 curves (R1, perceptron, GD) on MNIST"
    script:
        "../scripts/plasticity_fig2.py"


rule pr_fig3_transfer:
    input:
        unpack(lambda wildcards: pr_curves.fig3_inputs(PR, wildcards.dataset)),
    output:
        **compute_outputs(pr_exp.fig3_transfer("{dataset}")),
    log:
        log_of("plasticity_rules", "fig3_transfer_{dataset}"),
    benchmark:
        benchmark_of("plasticity_rules", "fig3_transfer_{dataset}")
    wildcard_constraints:
        dataset="|".join(pr_exp.TASKS),
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: pr_curves.fig3_params(PR, wildcards.dataset),
        scale=SCALE,
        device="cpu",  # re-trainings advance together; still a loop of small ops (catalog Compute)
        data=cfg("data"),
    message:
        "plasticity_rules: Fig. 3, re-training the four models with the fixed rules on {wildcards.dataset}"
    script:
        "../scripts/plasticity_fig3.py"


rule pr_fig6_curves:
    input:
        train=paths.rel_data_cache("mnist", "train"),
        test=paths.rel_data_cache("mnist", "test"),
        rule=pr_exp.learned_rule("R3"),
    output:
        **compute_outputs(pr_exp.fig6_curves()),
    log:
        log_of("plasticity_rules", "fig6_curves"),
    benchmark:
        benchmark_of("plasticity_rules", "fig6_curves")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=pr_curves.fig6_params(PR),
        scale=SCALE,
        device="cpu",  # a sequential loop of tiny ops: latency-bound, CPU (catalog Compute)
        data=cfg("data"),
    message:
        "plasticity_rules: Fig. 6 curves (misclassified-only vs every example) on MNIST, T = 3"
    script:
        "../scripts/plasticity_fig6.py"
