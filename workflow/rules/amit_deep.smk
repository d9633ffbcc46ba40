# Amit, "Biologically Plausible Deep Learning": the CIFAR networks of Tables 1-3 (Figs 5-6 read the same runs).
#   results/models/amit/{dataset}/{net}_{regime}_{conn}_{tying}.pt   one trained run: weights, per-epoch log, metrics
# An untied deepernet_s run (Table 3) starts from the first convolution of its tied run, hence the extra input.
from bioplausible.amit import deep_experiment as amit_deep

AMIT_DEEP = cfg("amit.deep")


wildcard_constraints:
    amit_dataset="|".join(amit_deep.DATASETS),
    amit_net="|".join(amit_deep.NETS),
    amit_regime="bp_softmax|bp_hinge|urfb|frfb",
    amit_conn="|".join(amit_deep.CONNS),
    amit_tying="|".join(amit_deep.TYINGS),


rule amit_train:
    input:
        unpack(amit_deep.train_inputs),
    output:
        **compute_outputs(
            amit_deep.model(
                "{amit_dataset}",
                "{amit_net}",
                "{amit_regime}",
                "{amit_conn}",
                "{amit_tying}",
            )
        ),
    log:
        log_of(
            "amit",
            "train_{amit_dataset}_{amit_net}_{amit_regime}_{amit_conn}_{amit_tying}",
        ),
    benchmark:
        benchmark_of(
            "amit",
            "train_{amit_dataset}_{amit_net}_{amit_regime}_{amit_conn}_{amit_tying}",
        )
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: amit_deep.run_params(
            AMIT_DEEP,
            w.amit_dataset,
            w.amit_net,
            w.amit_regime,
            w.amit_conn,
            w.amit_tying,
        ),
        scale=SCALE,
        device=config["device"],
        data=cfg("data"),
    message:
        "amit: training {wildcards.amit_net} ({wildcards.amit_regime}, {wildcards.amit_conn}, "
        "{wildcards.amit_tying}) on {wildcards.amit_dataset}"
    script:
        "../scripts/amit_train.py"
