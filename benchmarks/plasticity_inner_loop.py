"""Time the inner loop of local updates of the plasticity-rules networks (NOT a test).

    python benchmarks/plasticity_inner_loop.py [--cache-root results/data] [--n 1000] [--k 500] [--T 3]
                                               [--examples 2000] [--runs 1 10] [--threads 1] [--dtype float64]

One training example of a T = 3, |V| = 1000 simple RNN on MNIST = one forward pass (T rounds: a matrix-vector
product, ReLU and the cap per round), the firing codes, and — on an update — ΔW_ji = η R[c_i, c_j] for all ~n²p
edges and the output rows, as batched tensor operations (bioplausible.plasticity_rules.training). This script
times it per example with updates on every example (scheme "all", the worst case) and misclassified-only, and
against its floor: the same forward pass plus one masked n × n add (the memory traffic any implementation pays).
Without --cache-root (or if MNIST is not cached there), random inputs of MNIST's shape are used.
"""

from __future__ import annotations

import argparse
import time

import torch

from bioplausible.plasticity_rules import network, rules, training


def load_inputs(cache_root: str | None, n: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    if cache_root:
        try:
            from bioplausible.data import load_split

            data = load_split("mnist", "train", cache_root=cache_root)
            return data.images[:n].reshape(n, -1).double() / 255, data.targets[:n].long(), f"MNIST ({cache_root})"
        except Exception as err:  # noqa: BLE001 — report and use random inputs, this is a benchmark
            print(f"MNIST not available from {cache_root} ({err}); using random inputs")
    gen = torch.Generator().manual_seed(0)
    return torch.rand(n, 784, generator=gen, dtype=torch.float64), torch.randint(0, 10, (n,), generator=gen), "random"


def per_example_ms(fn, n_examples: int) -> float:
    t0 = time.perf_counter()
    fn()
    return 1e3 * (time.perf_counter() - t0) / n_examples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-root", default="results/data", help="data cache holding mnist/train.pt")
    ap.add_argument("--n", type=int, default=1000, help="hidden units |V| (default 1000)")
    ap.add_argument("--k", type=int, default=500, help="cap (default 500)")
    ap.add_argument("--T", type=int, default=3, help="rounds (default 3)")
    ap.add_argument("--examples", type=int, default=2000, help="examples timed (default 2000)")
    ap.add_argument("--runs", type=int, nargs="+", default=[1, 10], help="independent runs advanced together")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y, source = load_inputs(args.cache_root, args.examples)
    graph = network.sample_graph(n=args.n, d=784, n_classes=10, T=args.T, k=args.k, p=0.5, seed=0, dtype=args.dtype)
    drive = network.input_drive(graph, x.to(graph.dtype))
    table = torch.randn(2 ** args.T, 2 ** args.T, generator=torch.Generator().manual_seed(1), dtype=graph.dtype)
    out_rule = rules.perceptron_output_rule(args.T).to(graph.dtype)
    print(f"{source}: T={args.T}, |V|={args.n}, k={args.k}, {int(graph.graph_mask.sum())} edges, {args.dtype}, "
          f"{args.threads} thread(s), {args.examples} examples")

    # floor: the forward pass of every example plus one masked n x n add per example
    W = torch.zeros(args.n, args.n, dtype=graph.dtype)
    delta = torch.randn(args.n, args.n, dtype=graph.dtype)

    def floor() -> None:
        for t in range(args.examples):
            network.rounds(graph, W, drive[t:t + 1])
            W.addcmul_(delta, graph.graph_mask, value=1e-9)

    training.train_with_rules(graph, table, out_rule, drive[:50], y[:50], torch.arange(50)[None], eta=0.01,
                              scheme="all")   # warm-up
    t_floor = per_example_ms(floor, args.examples)
    print(f"floor (forward + one masked n x n add):         {t_floor:7.3f} ms/example")
    for runs in args.runs:
        orders = torch.arange(args.examples).repeat(runs, 1)
        for scheme in ("all", "misclassified"):
            result = {}

            def train() -> None:
                result["r"] = training.train_with_rules(graph, table, out_rule, drive, y, orders, eta=0.01,
                                                        scheme=scheme)
            ms = per_example_ms(train, args.examples)
            upd = result["r"].n_updates.double().mean().item() / args.examples
            print(f"train_with_rules, {runs:2d} run(s), scheme {scheme:13s}: {ms:7.3f} ms/example "
                  f"({ms / runs:6.3f} per run-example, {100 * upd:5.1f} % updates; {ms / runs / t_floor:4.2f} x floor)")


if __name__ == "__main__":
    main()
