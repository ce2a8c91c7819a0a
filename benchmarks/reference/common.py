"""Shared timing harness of the PyTorch reference scripts.

Each script builds its model from the JSON spec that `src/run.mjs` passes
(the same spec the captcha-nn and tfjs-layers models are built from), times
training steps (forward, loss, backward, SGD with momentum 0.9, dampening 0)
and batch-1 inference in eval mode, and prints ONE line of JSON:

  {"torch": "1.13.0", "threads": 1, "train": {...}, "infer": {...}}

where each of train/infer is {"median", "min", "max", "n", "times"} in ms.
Run one by hand:

  /usr/bin/python3 benchmarks/reference/convnet.py \
      --spec '{"kind":"convnet","height":50,"width":200,"channels":1,"chars":5,"classes":23,"stages":[[32],[64],[128]],"hidden":256}' \
      --batch 32 --threads 1 --steps 10
"""
import argparse
import json
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--spec', required=True, help='model spec as JSON (see benchmarks/src/models.mjs)')
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads; 0 = all cores')
    p.add_argument('--steps', type=int, default=10, help='timed training steps')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps first')
    p.add_argument('--infer-steps', type=int, default=20)
    p.add_argument('--budget', type=float, default=0, help='seconds per measurement; stop early (n >= 2) past it; 0 = none')
    p.add_argument('--seed', type=int, default=1)
    return p.parse_args()


def summary(times):
    return {
        'median': statistics.median(times),
        'min': min(times),
        'max': max(times),
        'n': len(times),
        'times': [round(t, 3) for t in times],
    }


def time_steps(step, steps, warmup, budget):
    """Runs `step` warmup times untimed, then up to `steps` timed (ms)."""
    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    # Skip further warm-up when it alone would blow the budget.
    if not (budget and first * (warmup - 1 + steps) > budget):
        for _ in range(warmup - 1):
            step()
    times = []
    start = time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
        if budget and len(times) >= 2 and time.perf_counter() - start > budget:
            break
    return summary(times)


def run(build, make_batch):
    """build(spec) -> (model, loss_fn); make_batch(spec, n) -> (x, y)."""
    args = parse_args()
    import torch

    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    spec = json.loads(args.spec)
    model, loss_fn = build(spec)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, dampening=0)
    x, y = make_batch(spec, args.batch)

    def train_step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    train = time_steps(train_step, args.steps, args.warmup, args.budget)

    model.eval()
    x1, _ = make_batch(spec, 1)

    def infer_step():
        with torch.no_grad():
            model(x1).sum().item()

    infer = time_steps(infer_step, args.infer_steps, 3, args.budget)
    print(json.dumps({
        'torch': torch.__version__,
        'threads': threads,
        'mkldnn': bool(torch.backends.mkldnn.is_available()),
        'python': sys.version.split()[0],
        'train': train,
        'infer': infer,
    }))
