#!/usr/bin/env python3
"""PyTorch parity fixtures for captcha-nn's CTCCriterion (packages/core/src/nn/CTCCriterion.ts).

    /usr/bin/python3 scripts/parity/make_ctc_fixtures.py --seed 1 --out packages/core/test/fixtures/parity-ctc

One <case>.safetensors per case below: F.ctc_loss(log_softmax(logits), ...) and
its gradient with respect to the logits (through log_softmax, where PyTorch's
exp(logp) - occupancy and captcha-nn's -occupancy agree). Sizes, blank and
reduction are fixed per case; logits, labels and input lengths come from the seed.

Keys: logits [T, N, C], input_lengths [N], label_lengths [N], labels (the N
labels concatenated; absent when all are empty), loss ([1], or [N] for
reduction 'none'), grad_logits [T, N, C] (of loss.sum() for 'none'; NaN where
PyTorch gives NaN, an impossible sample without zero_infinity).
Metadata: case, T, N, C, blank, reduction, zero_infinity.
Maths in float64 on float32-representable logits; tensors stored as F32.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_rnn_fixtures import f32, fixture_args, write_safetensors  # noqa: E402  (also sets float64 as the default dtype)

# name: T, N, C, blank, reduction, zero_infinity, label lengths (None: random in 1..4),
# repeats (labels made of runs of equal classes), impossible (sample 0 needs more steps than T)
CASES = {
    "mean_basic": dict(T=12, N=3, C=5),
    "sum_empty_labels": dict(T=6, N=3, C=4, reduction="sum", lengths=[0, 2, 0]),
    "none_repeats": dict(T=10, N=3, C=3, reduction="none", lengths=[4, 3, 2], repeats=True),
    "mean_blank_last": dict(T=9, N=3, C=6, blank=5),
    "sum_blank_middle": dict(T=8, N=2, C=5, blank=2, reduction="sum", repeats=True),
    "mean_input_lengths": dict(T=15, N=4, C=6, short_inputs=True),
    "mean_tight_fit": dict(T=13, N=2, C=4, lengths=[4, 7], repeats=True, tight=True),
    "mean_zero_infinity": dict(T=5, N=3, C=4, zero_infinity=True, impossible=True),
    "none_zero_infinity": dict(T=5, N=3, C=4, reduction="none", zero_infinity=True, impossible=True),
    "none_impossible": dict(T=5, N=3, C=4, reduction="none", impossible=True),
    "mean_T1": dict(T=1, N=2, C=3, lengths=[1, 0]),
    "mean_C37": dict(T=24, N=2, C=37, lengths=[6, 5]),
    "mean_T200": dict(T=200, N=2, C=8, lengths=[60, 25], repeats=True),
    "sum_T200": dict(T=200, N=2, C=8, reduction="sum", blank=7, lengths=[80, 1], short_inputs=True),
}


def min_steps(label):
    return len(label) + sum(1 for a, b in zip(label, label[1:]) if a == b)


def make_label(n_len, C, blank, repeats, gen):
    classes = [k for k in range(C) if k != blank]
    label = []
    while len(label) < n_len:
        k = classes[int(torch.randint(0, len(classes), (1,), generator=gen))]
        run = int(torch.randint(1, 4, (1,), generator=gen)) if repeats else 1
        label += [k] * min(run, n_len - len(label))
    return label


def make_case(name, c, gen, out_dir):
    T, N, C = c["T"], c["N"], c["C"]
    blank, reduction, zero_inf = c.get("blank", 0), c.get("reduction", "mean"), c.get("zero_infinity", False)
    lengths = c.get("lengths") or [int(torch.randint(1, 5, (1,), generator=gen)) for _ in range(N)]
    labels = [make_label(L, C, blank, c.get("repeats", False), gen) for L in lengths]
    if c.get("impossible"):
        labels[0] = [1 if blank != 1 else 2] * ((T + 1) // 2 + 1)  # needs 2·len − 1 > T steps
    input_lengths = []
    for label in labels:
        need = min_steps(label)
        if c.get("impossible") and need > T:
            input_lengths.append(T)
        elif c.get("tight"):
            input_lengths.append(need)
        elif c.get("short_inputs"):
            input_lengths.append(int(torch.randint(need, T + 1, (1,), generator=gen)))
        else:
            input_lengths.append(T)
    assert all(min_steps(l) <= t for l, t in zip(labels, input_lengths)) or c.get("impossible"), name
    logits = f32(2 * torch.randn(T, N, C, generator=gen)).requires_grad_(True)
    flat = [k for label in labels for k in label]
    loss = F.ctc_loss(
        F.log_softmax(logits, 2),
        torch.tensor(flat, dtype=torch.long),
        torch.tensor(input_lengths, dtype=torch.long),
        torch.tensor([len(l) for l in labels], dtype=torch.long),
        blank=blank,
        reduction=reduction,
        zero_infinity=zero_inf,
    )
    loss.sum().backward()
    tensors = {
        "logits": logits,
        "input_lengths": torch.tensor(input_lengths, dtype=torch.float64),
        "label_lengths": torch.tensor([len(l) for l in labels], dtype=torch.float64),
        "loss": loss.detach().reshape(-1),
        "grad_logits": logits.grad,
    }
    if flat:
        tensors["labels"] = torch.tensor(flat, dtype=torch.float64)
    meta = dict(case=name, T=T, N=N, C=C, blank=blank, reduction=reduction, zero_infinity=str(zero_inf).lower())
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors, meta)
    return name


def main():
    args, gen = fixture_args(__doc__)
    names = [make_case(name, c, gen, args.out) for name, c in CASES.items()]
    print(f"wrote {len(names)} fixtures to {args.out}")


if __name__ == "__main__":
    main()
