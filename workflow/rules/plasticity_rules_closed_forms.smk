# Plasticity rules: compute rules of the alternative-scheme and closed-form artifacts (pr_txt_c4, pr_thm1, pr_thm2).
#   results/sims/plasticity_rules/closed_forms/txt_c4.npz   App. C.4: schemes (a)-(d) on MNIST, (a) vs r* on the tasks
#   results/sims/plasticity_rules/closed_forms/thm1.npz     Thm 1: output rules learned by GD from random inits
#   results/sims/plasticity_rules/closed_forms/thm2.npz     Thm 2: the MSE-optimal rule r* and its checks


rule pr_txt_c4_result:
    input:
        **pr_exp.closed_form_inputs(PR, "txt_c4"),
    output:
        **compute_outputs(pr_exp.closed_form_result("txt_c4")),
    log:
        log_of("plasticity_rules", "closed_txt_c4"),
    benchmark:
        benchmark_of("plasticity_rules", "closed_txt_c4")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=pr_exp.closed_form_params(PR, "txt_c4"),
        scale=SCALE,
        device="cpu",  # sequential one-example updates: latency-bound, CPU (catalog Compute)
        data=cfg("data"),
    message:
        "plasticity_rules: App. C.4 update schemes and the MSE-optimal rule on T = 1 networks"
    script:
        "../scripts/plasticity_txt_c4.py"


rule pr_thm1_result:
    input:
        **pr_exp.closed_form_inputs(PR, "thm1"),
    output:
        **compute_outputs(pr_exp.closed_form_result("thm1")),
    log:
        log_of("plasticity_rules", "closed_thm1"),
    benchmark:
        benchmark_of("plasticity_rules", "closed_thm1")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=pr_exp.closed_form_params(PR, "thm1"),
        scale=SCALE,
        device="cpu",  # a sequential inner loop of tiny ops: latency-bound, CPU (catalog Compute)
        data=cfg("data"),
    message:
        "plasticity_rules: Thm 1, output rules learned by GD from random initial rules"
    script:
        "../scripts/plasticity_thm1.py"


rule pr_thm2_result:
    input:
        **pr_exp.closed_form_inputs(PR, "thm2"),
    output:
        **compute_outputs(pr_exp.closed_form_result("thm2")),
    log:
        log_of("plasticity_rules", "closed_thm2"),
    benchmark:
        benchmark_of("plasticity_rules", "closed_thm2")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=pr_exp.closed_form_params(PR, "thm2"),
        scale=SCALE,
        device="cpu",  # whole-dataset float64 algebra on fixed features: CPU
        data=cfg("data"),
    message:
        "plasticity_rules: Thm 2, the closed-form MSE-optimal output rule and its checks"
    script:
        "../scripts/plasticity_thm2.py"
