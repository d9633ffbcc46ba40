"""Time one SoftHebb training epoch against its two matrix products alone (NOT a test).

    python benchmarks/softhebb_epoch.py [--mirror /work/data_mirror] [--K 2000] [--batch 128] [--threads 2]

The issue requires  t(epoch via train_wta) / t(U = X* W^T and Y^T X* alone, same batches) <= 2.
Without --mirror, random uint8 images of MNIST's shape (60000, 28, 28) are used.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from bioplausible.softhebb import WTAConfig, train_wta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", default=None, help="data mirror dir for real MNIST (default: random data)")
    ap.add_argument("--cache-root", default="/tmp/sh_data", help="cache dir for load_split (default /tmp/sh_data)")
    ap.add_argument("--K", type=int, default=2000, help="neurons (default 2000)")
    ap.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    ap.add_argument("--variant", default="paper_literal", help="WTAConfig preset (default paper_literal)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    if args.mirror:
        from bioplausible.data import load_split
        images = torch.as_tensor(load_split("mnist", "train", cache_root=args.cache_root, mirror=args.mirror).images)
        source = "MNIST train"
    else:
        images = torch.randint(0, 256, (60000, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        source = "random uint8 (60000, 28, 28)"
    N = images.shape[0]
    cfg = WTAConfig.preset(args.variant, K=args.K, batch_size=args.batch, epochs=1.0)

    t0 = time.perf_counter()
    # warm-up (allocator, BLAS threads) on a tiny slice, then the timed epoch
    train_wta(images[:2048], cfg, progress=False)
    t0 = time.perf_counter()
    train_wta(images, cfg, progress=False)
    t_epoch = time.perf_counter() - t0

    # the two matmuls alone, on the same batch shapes, float32
    x = images.reshape(N, -1).float().div_(255.0)
    x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    w = torch.randn(args.K, x.shape[1]) * 0.02
    y = torch.softmax(torch.randn(args.batch, args.K), dim=1)
    steps = math.ceil(N / args.batch)
    t0 = time.perf_counter()
    for i in range(steps):
        xb = x[i * args.batch:(i + 1) * args.batch]
        u = xb @ w.t()                      # U = X* W^T
        yb = y[: xb.shape[0]]
        _ = yb.t() @ xb                     # Y^T X*
    t_mm = time.perf_counter() - t0
    del u

    print(f"data: {source}; K={args.K}, batch={args.batch}, steps={steps}, threads={torch.get_num_threads()}, "
          f"variant={args.variant}")
    print(f"epoch (train_wta, incl. init + 2 probe logs): {t_epoch:.2f} s")
    print(f"two matmuls alone (U = X*W^T, Y^T X*):       {t_mm:.2f} s")
    print(f"ratio: {t_epoch / t_mm:.2f}  (requirement <= 2)")


if __name__ == "__main__":
    main()
