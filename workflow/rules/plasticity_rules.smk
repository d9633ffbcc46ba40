# Plasticity rules (Cristian et al. 2021): the compute rules shared by every artifact of the paper.
#   results/sims/plasticity_rules/tasks/{task}.npz                  a generated task (Halfspace, ReLU1/2, RNN)
#   results/models/plasticity_rules/rules/{rule}.pt                  a rule learned by GD (R1, R2, R3)
#   results/models/plasticity_rules/nets/{dataset}/{net}_s{seed}.pt a Table 2 / Fig. 4 network (T3, T1, T1star, GD)
from bioplausible.plasticity_rules import experiment as pr_exp

PR = cfg("plasticity_rules")


wildcard_constraints:
    task="|".join(pr_exp.SYNTHETIC_TASKS),
    rule="|".join(pr_exp.RULES),
    net="|".join(pr_exp.NETS),


rule pr_task:
    output:
        **compute_outputs(pr_exp.task_data("{task}")),
    log:
        log_of("plasticity_rules", "task_{task}"),
    conda:
        CONDA_ENV
    params:
        cfg=lambda wildcards: pr_exp.task_params(PR, wildcards.task),
        scale=SCALE,
    message:
        "plasticity_rules: generating the {wildcards.task} task (fixed seed)"
    script:
        "../scripts/plasticity_task.py"


rule pr_learn_rule:
    input:
        unpack(
            lambda wildcards: pr_exp.task_inputs(PR["rules"][wildcards.rule]["task"])
        ),
    output:
        **compute_outputs(pr_exp.learned_rule("{rule}")),
    log:
        log_of("plasticity_rules", "learn_rule_{rule}"),
    benchmark:
        benchmark_of("plasticity_rules", "learn_rule_{rule}")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: pr_exp.rule_params(PR, wildcards.rule),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "plasticity_rules: learning rule {wildcards.rule} by GD through the unrolled inner loop"
    script:
        "../scripts/plasticity_learn_rule.py"


rule pr_train_net:
    input:
        unpack(lambda wildcards: pr_exp.net_inputs(wildcards.net, wildcards.dataset)),
    output:
        **compute_outputs(pr_exp.trained_net("{dataset}", "{net}", "{seed}")),
    log:
        log_of("plasticity_rules", "net_{dataset}_{net}_s{seed}"),
    benchmark:
        benchmark_of("plasticity_rules", "net_{dataset}_{net}_s{seed}")
    wildcard_constraints:
        dataset="mnist|fashion_mnist",
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: pr_exp.net_params(PR, wildcards.net),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "plasticity_rules: training the {wildcards.net} network on {wildcards.dataset} (seed {wildcards.seed})"
    script:
        "../scripts/plasticity_train_net.py"
