# Amit, "Biologically Plausible Deep Learning": compute rules of the linear-theory slice. Each writes one
# cached simulation (float64 .npz) and its provenance record; the notebooks (rules generated in
# notebooks.smk) only load and plot them.
from bioplausible.amit import specs as amit_specs


rule amit_sim_teacher_student:
    output:
        **compute_outputs(amit_specs.SIM_TEACHER_STUDENT),
    log:
        log_of("amit", "amit_sim_teacher_student"),
    benchmark:
        benchmark_of("amit", "amit_sim_teacher_student")
    conda:
        CONDA_ENV
    params:
        cfg=cfg("amit.fig3"),
        scale=SCALE,
        kind="teacher_student",
    message:
        "amit: linear 3-layer teacher-student, BP / URFB / FRFB from the same W(0) (Fig. 3)"
    script:
        "../scripts/amit_sim.py"


rule amit_sim_eps_sweep:
    output:
        **compute_outputs(amit_specs.SIM_EPS_SWEEP),
    log:
        log_of("amit", "amit_sim_eps_sweep"),
    benchmark:
        benchmark_of("amit", "amit_sim_eps_sweep")
    conda:
        CONDA_ENV
    params:
        cfg=cfg("amit.fig4"),
        scale=SCALE,
        kind="eps_sweep",
    message:
        "amit: linear 3-layer network, W(0) = 0, feedback learning-rate factor eps sweep (Fig. 4)"
    script:
        "../scripts/amit_sim.py"


rule amit_sim_scalar_two_layer:
    output:
        **compute_outputs(amit_specs.SIM_SCALAR_TWO_LAYER),
    log:
        log_of("amit", "amit_sim_scalar_two_layer"),
    benchmark:
        benchmark_of("amit", "amit_sim_scalar_two_layer")
    conda:
        CONDA_ENV
    params:
        cfg=cfg("amit.thm1"),
        scale=SCALE,
        kind="scalar_two_layer",
    message:
        "amit: decoupled two-layer dynamics, eqs. 14 and 22 (Theorem 1)"
    script:
        "../scripts/amit_sim.py"


rule amit_sim_scalar_three_layer:
    output:
        **compute_outputs(amit_specs.SIM_SCALAR_THREE_LAYER),
    log:
        log_of("amit", "amit_sim_scalar_three_layer"),
    benchmark:
        benchmark_of("amit", "amit_sim_scalar_three_layer")
    conda:
        CONDA_ENV
    params:
        cfg=cfg("amit.thm2"),
        scale=SCALE,
        kind="scalar_three_layer",
    message:
        "amit: decoupled three-layer dynamics, eq. 16 (Theorem 2)"
    script:
        "../scripts/amit_sim.py"


rule amit_sim_decoupling:
    output:
        **compute_outputs(amit_specs.SIM_DECOUPLING),
    log:
        log_of("amit", "amit_sim_decoupling"),
    benchmark:
        benchmark_of("amit", "amit_sim_decoupling")
    conda:
        CONDA_ENV
    params:
        cfg=cfg("amit.decouple"),
        scale=SCALE,
        kind="decoupling",
    message:
        "amit: matrix ODE (11) from the decoupled initial condition vs the scalar ODE (14)"
    script:
        "../scripts/amit_sim.py"
