# One rule per notebook artifact, generated from the specs (src/bioplausible/<paper>/specs.py), as
# showyourwork's figure.smk does: rule `amit_fig4` runs notebooks/amit/amit_fig4.ipynb with papermill
# (explicit kernel, parameters injected after the cell tagged `parameters`), keeps the executed notebook
# and its HTML under results/notebooks/, and prints the artifact's verdicts. The notebook is an input,
# so editing it reruns the rule; every parameter goes through params: so reruns notice config changes.


def _report_outputs(spec):
    outs = spec.outputs()
    caption = f"../report/{spec.paper}/{spec.artifact}.rst"
    wrapped = {}
    for name, path in outs.items():
        if name in ("figure_png", "table_csv"):
            wrapped[name] = report(
                path,
                caption=caption,
                category=spec.paper,
                subcategory=spec.artifact,
                labels={"artifact": spec.artifact, "file": name},
            )
        else:
            wrapped[name] = path
    wrapped["html"] = paths.rel_executed_notebook(spec.artifact, "html")
    return wrapped


def _papermill_parameters(spec):
    payload = {
        "artifact": spec.artifact,
        "scale": SCALE,
        "params": cfg(spec.config_key),
        "inputs": spec.resolved_inputs(config),
        "outputs": spec.outputs(),
    }
    # papermill reads -y as YAML: dump YAML (flow style, one line) so that floats such as 1e-08 stay
    # floats (JSON would write "1e-08", which YAML 1.1 reads as a string).
    # libyaml's emitter (same text as safe_dump for every artifact at every scale, checked; 5x faster: 79 dumps
    # at every Snakemake start, and every SLURM job starts Snakemake twice)
    text = yaml.dump(
        payload,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        default_flow_style=True,
        sort_keys=True,
        width=10**9,
    ).strip()
    return shlex.quote(text)


for _spec in SPECS.values():

    rule:
        name:
            _spec.artifact
        input:
            **_spec.resolved_inputs(config),
            notebook=paths.rel_notebook_source(_spec.artifact),
        output:
            **_report_outputs(_spec),
        log:
            paths.rel_log(_spec.paper, _spec.artifact),
        conda:
            CONDA_ENV
        threads: _spec.threads
        params:
            cfg=cfg(_spec.config_key),
            scale=SCALE,
            artifact=_spec.artifact,
            nb_dir=lambda wildcards, input: os.path.dirname(input.notebook),
            parameters=_papermill_parameters(_spec),
        message:
            f"{_spec.artifact}: running notebook {paths.rel_notebook_source(_spec.artifact)} ({SCALE})"
        shell:
            "python -m bioplausible.notebook_run --notebook {input.notebook} --output {output.notebook} "
            "--cwd {params.nb_dir} --log {log} --artifact {params.artifact} --scale {params.scale} "
            "--parameters {params.parameters} | tee -a {log}"
