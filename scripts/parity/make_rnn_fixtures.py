#!/usr/bin/env python3
"""PyTorch parity fixtures for captcha-nn's recurrent modules (packages/core/src/rnn).

    /usr/bin/python3 scripts/parity/make_rnn_fixtures.py --seed 1 --out packages/core/test/fixtures/parity-rnn

One <case>.safetensors per (module, sequence length T in 1, 5, 20):

- FastLSTM      nn.LSTM(I, H), run step by step through Sequencer(FastLSTM)
- SeqLSTM       nn.LSTM(I, H) over a [T, N, I] tensor, with a given (h0, c0)
- GRU           nn.GRU(I, H) through Sequencer(GRU)
- BiSequencer   nn.LSTM(I, H, bidirectional=True) vs BiSequencer(FastLSTM)
- LSTM          Torch rnn's peephole LSTM, a reference written below in PyTorch

Keys: input [T, N, I], grad_output [T, N, H or 2H], output, grad_input,
state.<key> (PyTorch state dict), grad.<key> (parameter gradients after one
backward of sum(output * grad_output)); SeqLSTM also h0, c0, grad_h0, grad_c0.
Metadata: kind, I, H, N, T. Sizes depend on the seed. Maths in float64 on
float32-representable values; tensors stored as F32.
"""
import argparse
import json
import os
import struct

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer: u64 LE header length, JSON header, raw little-endian F32 data."""
    header, chunks, offset = {"__metadata__": {k: str(v) for k, v in metadata.items()}}, [], 0
    for name in sorted(tensors):
        b = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)
    os.replace(path + ".tmp", path)


def f32(t):
    """Round to float32-representable values, kept in float64."""
    return t.to(torch.float32).to(torch.float64)


class PeepholeLSTM(nn.Module):
    """Torch rnn's nn.LSTM (cell2gate = true) with captcha-nn's fused parameters:
    i = s(W_i x + U_i h + b_i + p_i c), f = s(W_f x + U_f h + b_f + p_f c), g = tanh(W_g x + U_g h + b_g),
    c' = f c + i g, o = s(W_o x + U_o h + b_o + p_o c'), h' = o tanh(c'). Gates i, f, g, o."""

    def __init__(self, I, H):
        super().__init__()
        self.H = H
        self.weight_ih_l0 = nn.Parameter(torch.empty(4 * H, I).uniform_(-1 / I ** 0.5, 1 / I ** 0.5))
        self.weight_hh_l0 = nn.Parameter(torch.empty(4 * H, H).uniform_(-1 / H ** 0.5, 1 / H ** 0.5))
        self.bias_ih_l0 = nn.Parameter(torch.empty(4 * H).uniform_(-1 / I ** 0.5, 1 / I ** 0.5))
        for k in ("weight_ci", "weight_cf", "weight_co"):
            setattr(self, k, nn.Parameter(torch.empty(H).uniform_(-1 / H ** 0.5, 1 / H ** 0.5)))

    def forward(self, x):
        T, N, _ = x.shape
        h = x.new_zeros(N, self.H)
        c = x.new_zeros(N, self.H)
        out = []
        for t in range(T):
            a = x[t] @ self.weight_ih_l0.t() + h @ self.weight_hh_l0.t() + self.bias_ih_l0
            ai, af, ag, ao = a.chunk(4, 1)
            i = torch.sigmoid(ai + self.weight_ci * c)
            f = torch.sigmoid(af + self.weight_cf * c)
            g = torch.tanh(ag)
            c = f * c + i * g
            o = torch.sigmoid(ao + self.weight_co * c)
            h = o * torch.tanh(c)
            out.append(h)
        return torch.stack(out)


def make_case(kind, T, gen, out_dir):
    I = int(torch.randint(2, 7, (1,), generator=gen))
    H = int(torch.randint(2, 7, (1,), generator=gen))
    N = int(torch.randint(1, 4, (1,), generator=gen))
    torch.manual_seed(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
    if kind in ("FastLSTM", "SeqLSTM"):
        m = nn.LSTM(I, H)
    elif kind == "GRU":
        m = nn.GRU(I, H)
    elif kind == "BiSequencer":
        m = nn.LSTM(I, H, bidirectional=True)
    else:
        m = PeepholeLSTM(I, H)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(f32(p))
    x = f32(torch.randn(T, N, I)).requires_grad_(True)
    Hout = 2 * H if kind == "BiSequencer" else H
    gy = f32(torch.randn(T, N, Hout))
    T_ = {"input": x, "grad_output": gy}
    if kind == "SeqLSTM":
        h0 = f32(torch.randn(1, N, H)).requires_grad_(True)
        c0 = f32(torch.randn(1, N, H)).requires_grad_(True)
        y, _ = m(x, (h0, c0))
    elif kind == "LSTM":
        y = m(x)
    else:
        y, _ = m(x)
    (y * gy).sum().backward()
    T_["output"] = y
    T_["grad_input"] = x.grad
    for k, v in m.state_dict().items():
        T_["state." + k] = v
    for k, p in m.named_parameters():
        T_["grad." + k] = p.grad
    if kind == "SeqLSTM":
        T_.update(h0=h0[0], c0=c0[0], grad_h0=h0.grad[0], grad_c0=c0.grad[0])
    name = f"{kind}_T{T}"
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), T_, dict(kind=kind, I=I, H=H, N=N, T=T))
    return name


def fixture_args(doc):
    """--seed and --out of a fixture script: the parsed arguments (out created) and a seeded generator."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    return args, torch.Generator().manual_seed(args.seed)


def main():
    args, gen = fixture_args(__doc__)
    names = [make_case(k, T, gen, args.out)
             for k in ("FastLSTM", "SeqLSTM", "GRU", "BiSequencer", "LSTM") for T in (1, 5, 20)]
    print(f"wrote {len(names)} fixtures to {args.out}")


if __name__ == "__main__":
    main()
