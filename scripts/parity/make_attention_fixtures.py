#!/usr/bin/env python3
"""PyTorch parity fixtures for captcha-nn's attention modules (packages/core/src/nn).

    /usr/bin/python3 scripts/parity/make_attention_fixtures.py --seed 1 --out packages/core/test/fixtures/parity-attention

One <case>.safetensors per score and padding, each one attention step:

- bahdanau       v . tanh(W_q q + W_k k_s + b)     BahdanauAttention(Hq, Hk, A)
- luong_general  q . W k_s                          LuongAttention(Hq, Hk, 'general')
- luong_dot      q . k_s                            LuongAttention(H, H, 'dot')

each without padding and with lengths (`_lengths`: keys past lengths[n] are
left out of row n; every row keeps at least one). Weights = softmax over S,
context = sum_s weights_s k_s.

Keys: query [N, Hq], keys [N, S, Hk], lengths [N] (padded cases; F32 holding
integers), grad_context [N, Hk], grad_weights [N, S], context, weights,
grad_query, grad_keys (gradients of sum(context * grad_context) +
sum(weights * grad_weights)), state.<key> (the module's state dict, captcha-nn's
keys), grad.<key>. Metadata: kind, Hq, Hk, A, N, S. Sizes depend on the seed.
Maths in float64 on float32-representable values; tensors stored as F32.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_rnn_fixtures import f32, fixture_args, write_safetensors  # noqa: E402  (also sets float64 as the default dtype)


def uniform(*shape, bound):
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


class Bahdanau(nn.Module):
    def __init__(self, Hq, Hk, A):
        super().__init__()
        self.weight_q = uniform(A, Hq, bound=Hq ** -0.5)
        self.weight_k = uniform(A, Hk, bound=Hk ** -0.5)
        self.bias = uniform(A, bound=Hk ** -0.5)
        self.weight_v = uniform(A, bound=A ** -0.5)

    def score(self, q, keys):
        return torch.tanh(keys @ self.weight_k.t() + (q @ self.weight_q.t() + self.bias)[:, None, :]) @ self.weight_v


class Luong(nn.Module):
    def __init__(self, Hq, Hk, general):
        super().__init__()
        self.general = general
        if general:
            self.weight = uniform(Hq, Hk, bound=Hk ** -0.5)

    def score(self, q, keys):
        if self.general:
            return torch.einsum("nq,qk,nsk->ns", q, self.weight, keys)
        return torch.einsum("nk,nsk->ns", q, keys)


def attend(m, q, keys, lengths):
    scores = m.score(q, keys)
    if lengths is not None:
        valid = torch.arange(keys.shape[1])[None, :] < lengths[:, None]
        scores = scores.masked_fill(~valid, float("-inf"))
    weights = torch.softmax(scores, -1)
    return (weights[:, :, None] * keys).sum(1), weights


def make_case(kind, padded, gen, out_dir):
    rand = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=gen))  # noqa: E731
    Hq, Hk, A, N = rand(2, 6), rand(2, 6), rand(2, 6), rand(2, 3)
    S = rand(2, 6)
    if kind == "luong_dot":
        Hk = Hq
    torch.manual_seed(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
    m = Bahdanau(Hq, Hk, A) if kind == "bahdanau" else Luong(Hq, Hk, kind == "luong_general")
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(f32(p))
    q = f32(torch.randn(N, Hq)).requires_grad_(True)
    keys = f32(torch.randn(N, S, Hk)).requires_grad_(True)
    lengths = None
    if padded:
        lengths = torch.randint(1, S + 1, (N,), generator=gen)
        lengths[0] = int(torch.randint(1, S, (1,), generator=gen))  # at least one row padded
    gc = f32(torch.randn(N, Hk))
    gw = f32(torch.randn(N, S))
    context, weights = attend(m, q, keys, lengths)
    ((context * gc).sum() + (weights * gw).sum()).backward()
    T = dict(query=q, keys=keys, grad_context=gc, grad_weights=gw, context=context, weights=weights, grad_query=q.grad, grad_keys=keys.grad)
    if padded:
        T["lengths"] = lengths.to(torch.float64)
    for k, v in m.state_dict().items():
        T["state." + k] = v
    for k, p in m.named_parameters():
        T["grad." + k] = p.grad
    name = kind + ("_lengths" if padded else "")
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), T, dict(kind=kind, Hq=Hq, Hk=Hk, A=A, N=N, S=S))
    return name


def main():
    args, gen = fixture_args(__doc__)
    names = [make_case(k, p, gen, args.out) for k in ("bahdanau", "luong_general", "luong_dot") for p in (False, True)]
    print(f"wrote {len(names)} fixtures to {args.out}")


if __name__ == "__main__":
    main()
