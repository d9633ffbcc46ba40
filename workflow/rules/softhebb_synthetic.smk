# SoftHebb synthetic objects and the Fig. 1 example: sh_fig8a, sh_fig8b, sh_fig1.
#   results/models/softhebb/{dataset}/proxy_cnn_s{seed}.pt   "human-proxy" CNN of the deflection metric (A.13)
#   results/attacks/softhebb/synthetic/{dataset}.pt          Fig. 8 adversarials + deflection rates (A.14)
#   results/attacks/softhebb/synthetic/fig1_mnist.pt         the Fig. 1 example, its noisy/attacked/targeted images
from bioplausible.softhebb import synthetic as sh_syn

SYN = SH["synthetic"]
# the models of Figs 5 and 8: first seed, default SoftHebb variant
SYN_SEED = SH["seeds"][0]
SYN_VARIANT = SH["wta"]["default_variant"]


rule sh_proxy_cnn:
    input:
        train=paths.rel_data_cache("{dataset}", "train"),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_syn.proxy_model("{dataset}", "{seed}")),
    log:
        log_of("softhebb", "proxy_cnn_{dataset}_s{seed}"),
    benchmark:
        benchmark_of("softhebb", "proxy_cnn_{dataset}_s{seed}")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=GPU,
    params:
        cfg=SYN["proxy"],
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: training the proxy CNN on {wildcards.dataset} (seed {wildcards.seed})"
    script:
        "../scripts/softhebb_proxy.py"


rule sh_synthetic:
    input:
        softhebb=sh_exp.wta_model("{dataset}", SYN_VARIANT, SYN_SEED),
        mlp=sh_exp.mlp_model("{dataset}", "relu", SYN_SEED),
        proxy=sh_syn.proxy_model("{dataset}", SYN["proxy"]["seed"]),
        test=paths.rel_data_cache("{dataset}", "test"),
    output:
        **compute_outputs(sh_syn.synthetic_result("{dataset}")),
    log:
        log_of("softhebb", "synthetic_{dataset}"),
    benchmark:
        benchmark_of("softhebb", "synthetic_{dataset}")
    conda:
        CONDA_ENV
    threads: 2
    params:
        cfg={k: SYN[k] for k in ("batch_size", "pgd", "fig8", "deflection")},
        scale=SCALE,
        dataset="{dataset}",
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: synthetic objects and deflection rates on {wildcards.dataset}"
    script:
        "../scripts/softhebb_synthetic.py"


rule sh_fig1_example:
    input:
        softhebb=sh_exp.wta_model("mnist", SYN_VARIANT, SYN_SEED),
        mlp=sh_exp.mlp_model("mnist", "relu", SYN_SEED),
        softhebb_robustness=sh_exp.robustness_result(
            "mnist", f"wta_{SYN_VARIANT}_s{SYN_SEED}"
        ),
        mlp_robustness=sh_exp.robustness_result("mnist", f"mlp_relu_s{SYN_SEED}"),
        proxy=sh_syn.proxy_model("mnist", SYN["proxy"]["seed"]),
        test=paths.rel_data_cache("mnist", "test"),
    output:
        **compute_outputs(sh_syn.fig1_result()),
    log:
        log_of("softhebb", "fig1_example"),
    benchmark:
        benchmark_of("softhebb", "fig1_example")
    conda:
        CONDA_ENV
    threads: 2
    params:
        cfg={
            **{k: SYN[k] for k in ("pgd", "fig1")},
            "noise_sigmas": SH["robustness"]["noise_sigmas"],
        },
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "softhebb: choosing the Fig. 1 test digit and attacking it"
    script:
        "../scripts/softhebb_fig1.py"
