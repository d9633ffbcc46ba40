"""Time meta-training episodes of oja_fig8 (bioplausible.oja.meta) at a given scale (NOT a test).

    python benchmarks/oja_meta_episode.py [--k 50] [--q 10] [--m 5] [--classes 47] [--episodes 3]
                                          [--hidden 170 130 100 70] [--device cpu|cuda] [--threads 1]

One episode = a fresh Xavier network trained online on M*K images with Eq. 9 (autograd graph kept), a batched
query forward pass, the full unrolled meta-gradient and an Adam step. A random uint8 pool of EMNIST-balanced's
shape (400 images per class) stands in for the data: the cost does not depend on the pixels. Prints seconds per
episode (after the first, warm-up, episode) and the peak memory of the unrolled graph where measurable.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from bioplausible.oja import meta


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--q", type=int, default=10)
    ap.add_argument("--m", type=int, default=5)
    ap.add_argument("--classes", type=int, default=47)
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--hidden", type=int, nargs="+", default=[170, 130, 100, 70])
    ap.add_argument("--methods", nargs="+", default=["bp", "local"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(a.classes).repeat_interleave(400)
    images = torch.randint(0, 256, (len(labels), 28, 28), generator=g, dtype=torch.uint8)
    pool = meta.EpisodePool.from_uint8(images, labels, a.classes)
    cfg = meta.MetaConfig(widths=(784, *a.hidden, a.classes), beta=10.0, n_way=a.m, k_shot=a.k, q_query=a.q,
                          episodes=a.episodes, meta_lr=1e-3, theta0_init=1e-3, l1=5e-4, clip=1.0,
                          images_with_replacement=False)
    for method in a.methods:
        if a.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        out = meta.meta_train(cfg, pool, method, 0, device=a.device)
        wall = time.perf_counter() - t0
        per = out["seconds"][1:].mean() if a.episodes > 1 else out["seconds"][0]
        mem = (f"peak CUDA memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if a.device.startswith("cuda")
               else f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        print(f"{method}: widths {cfg.widths}, M={a.m} K={a.k} Q={a.q}, {a.device} ({a.threads} thread(s)): "
              f"{per:.3f} s/episode ({a.episodes} episodes in {wall:.1f} s), {mem}; "
              f"600 episodes ~ {600 * per / 60:.1f} min")


if __name__ == "__main__":
    main()
