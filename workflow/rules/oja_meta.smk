# Oja's rule: compute rules of the meta-learned local rule (oja_fig8).
#   results/sims/oja/meta/{method}_s{seed}.npz   one meta-training run (catalog A7): BP (symmetric feedback,
#   theta_0 only), the Eq. 9 rule (random plastic feedback, six terms) or its theta_2 = 0 ablation; per-episode
#   meta-accuracy, meta-loss, Theta trajectory. Episodes are shared by the methods of one meta-seed (paired).
from bioplausible.oja import experiment_meta as oja_meta

OJA_META = cfg("oja.meta")


rule oja_meta_train:
    input:
        pool=oja_meta.pool_cache(OJA_META),
    output:
        **compute_outputs(oja_meta.run_result("{method}", "{seed}")),
    log:
        log_of("oja", "meta_train_{method}_s{seed}"),
    benchmark:
        benchmark_of("oja", "meta_train_{method}_s{seed}")
    wildcard_constraints:
        method="bp|local|local_no_oja",
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: oja_meta.rule_params(
            OJA_META, wildcards.method, wildcards.seed
        ),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "oja: meta-training {wildcards.method} (meta-seed {wildcards.seed}) for oja_fig8"
    script:
        "../scripts/oja_meta_train.py"
