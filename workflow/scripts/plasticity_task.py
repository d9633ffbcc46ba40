"""Compute rule pr_task: one generated task (inputs, labels, labeller weights), cached once with a fixed seed."""

from bioplausible.plasticity_rules.tasks import generate_task
from bioplausible.step import Step

step = Step.from_snakemake(snakemake)  # noqa: F821 (injected by Snakemake)
p = step.params
arrays = generate_task(p["task"], n_train=p["n_train"], n_test=p["n_test"], dim=p["dim"], relu_width=p["relu_width"],
                       seed=p["seed"], rnn_labeller=p["rnn_labeller"], p=p["p"])
print(f"{p['task']}: majority-class rate train {float(arrays['majority_rate_train']):.3f}, "
      f"test {float(arrays['majority_rate_test']):.3f}")
step.save_npz(arrays)
step.finish({"majority_rate_train": float(arrays["majority_rate_train"]),
             "majority_rate_test": float(arrays["majority_rate_test"])})
