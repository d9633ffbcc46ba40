# Oja's rule: compute rules of the RNN on delayed MNIST (oja_fig7).
#   results/sims/oja/rnn/{method}.npz            curves of every seed of oja.rnn.seeds (bptt | bptt_oja)
#   results/sims/oja/rnn/search.npz (+ _selected.yaml)   optional theta grid search (catalog A9); its selection
#                                                         is committed into oja.rnn.theta, so no rule needs it
# One thread per job (a long chain of small ops), so the two methods run side by side on the 2 cores.
from bioplausible.oja import experiment_rnn as oja_rnn_ex

OJA_RNN = cfg("oja.rnn")


rule oja_rnn_train:
    input:
        train=paths.rel_data_cache("mnist", "train"),
        test=paths.rel_data_cache("mnist", "test"),
    output:
        **compute_outputs(oja_rnn_ex.run_result("{method}")),
    log:
        log_of("oja", "rnn_{method}"),
    benchmark:
        benchmark_of("oja", "rnn_{method}")
    wildcard_constraints:
        method="|".join(oja_rnn_ex.METHODS),
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=lambda wildcards: oja_rnn_ex.run_params(OJA_RNN, wildcards.method),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "oja: delayed-MNIST RNN, {wildcards.method}, every seed (vectorised)"
    script:
        "../scripts/oja_rnn.py"


rule oja_rnn_search:
    input:
        train=paths.rel_data_cache("mnist", "train"),
        test=paths.rel_data_cache("mnist", "test"),
    output:
        **compute_outputs(oja_rnn_ex.search_result()),
        selected=oja_rnn_ex.search_selected(),
    log:
        log_of("oja", "rnn_search"),
    benchmark:
        benchmark_of("oja", "rnn_search")
    conda:
        CONDA_ENV
    threads: 1
    params:
        cfg=oja_rnn_ex.search_params(OJA_RNN),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "oja: delayed-MNIST RNN theta grid search (optional; copy its selection into oja.rnn.theta)"
    script:
        "../scripts/oja_rnn.py"
