# The scoreboard: every claim of every registry evaluated against the measured metrics of this scale.


rule claims:
    input:
        metrics=[spec.outputs()["metrics"] for spec in SPECS.values()],
        registries=[paths.rel_claims_registry(p) for p in paths.PAPERS],
    output:
        md=paths.SCOREBOARD_MD,
        csv=report(
            paths.SCOREBOARD_CSV,
            caption="../report/scoreboard.rst",
            category="scoreboard",
            labels={"file": "claims.csv"},
        ),
    log:
        "results/logs/claims.log",
    conda:
        CONDA_ENV
    params:
        scale=SCALE,
    message:
        "claims: evaluating every claim of workflow/claims/*.yaml ({SCALE})"
    shell:
        "python -m bioplausible.claims scoreboard --scale {params.scale} "
        "--md {output.md} --csv {output.csv} 2>&1 | tee {log}"
