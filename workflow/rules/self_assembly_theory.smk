# Self-assembly: rules of helper sa_theory (see its artifacts in src/bioplausible/self_assembly/specs.py).
# Compute rules of the theory checks (catalog A10); the notebooks (rules generated in notebooks.smk) only load and plot.
#   results/sims/self_assembly/thm_lemma1.npz        Lemma 1: log||V - Vbar^T|| per step, exact case and two controls
#   results/models/self_assembly/theory/sal_mnist.pt one default SAL run on MNIST with the Theorem 1 probe per epoch
#   results/sims/self_assembly/thm_modulation.npz    Sec. 2.3 short-term modulation with that trained net
from bioplausible.self_assembly import specs as sa_specs
from bioplausible.self_assembly import theory as sa_theory

SA_LEMMA1 = cfg("self_assembly.thm_lemma1")
SA_ALIGN = sa_theory.alignment_run_params(cfg("self_assembly"))


rule sa_thm_lemma1_sim:
    input:
        train=paths.rel_data_cache(SA_LEMMA1["dataset"], "train"),
        test=paths.rel_data_cache(SA_LEMMA1["dataset"], "test"),
    output:
        **compute_outputs(sa_specs.SIM_LEMMA1),
    log:
        log_of("self_assembly", "sa_thm_lemma1_sim"),
    benchmark:
        benchmark_of("self_assembly", "sa_thm_lemma1_sim")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=SA_LEMMA1,
        scale=SCALE,
        kind="lemma1",
        device="cpu",
        data=cfg("data"),
    message:
        "self_assembly: Lemma 1, V - Vbar^T decay in float64 (exact case and two negative controls)"
    script:
        "../scripts/sa_theory.py"


rule sa_thm_sal_run:
    input:
        train=paths.rel_data_cache(SA_ALIGN["dataset"], "train"),
        test=paths.rel_data_cache(SA_ALIGN["dataset"], "test"),
    output:
        **compute_outputs(sa_specs.MODEL_THEORY_SAL),
    log:
        log_of("self_assembly", "sa_thm_sal_run"),
    benchmark:
        benchmark_of("self_assembly", "sa_thm_sal_run")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=SA_ALIGN,
        scale=SCALE,
        kind="sal_run",
        device=config["device"],
        data=cfg("data"),
    message:
        "self_assembly: one default SAL run on {SA_ALIGN[dataset]} with the Theorem 1 probe after every epoch"
    script:
        "../scripts/sa_theory.py"


rule sa_thm_modulation_sim:
    input:
        run=sa_specs.MODEL_THEORY_SAL,
        train=paths.rel_data_cache(SA_ALIGN["dataset"], "train"),
        test=paths.rel_data_cache(SA_ALIGN["dataset"], "test"),
    output:
        **compute_outputs(sa_specs.SIM_MODULATION),
    log:
        log_of("self_assembly", "sa_thm_modulation_sim"),
    benchmark:
        benchmark_of("self_assembly", "sa_thm_modulation_sim")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=cfg("self_assembly.thm_modulation"),
        scale=SCALE,
        kind="modulation",
        device="cpu",
        data=cfg("data"),
    message:
        "self_assembly: short-term modulation (Sec. 2.3) with the trained SAL net"
    script:
        "../scripts/sa_theory.py"
