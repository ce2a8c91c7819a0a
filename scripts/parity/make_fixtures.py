#!/usr/bin/env python3
"""PyTorch parity fixtures for captcha-nn.

    /usr/bin/python3 scripts/parity/make_fixtures.py --seed 1 --out packages/core/test/fixtures/parity

For every case this builds the PyTorch equivalent of a JSON module spec
(Torch7 argument order, e.g. {"type":"SpatialConvolution","args":[3,8,3,3,2,2,1,1]}),
draws inputs, weights and a grad_output from the seed, runs forward and
backward in float64 on float32-representable values, and writes
<case>.safetensors with __metadata__ {"spec", "kind", ...}.

Layouts. Activities are written in captcha-nn's layout: images NHWC. The
Python modules below take and give NHWC at their boundaries (convolution,
pooling and spatial batch norm permute to NCHW inside), so shape modules
(View, Reshape, JoinTable, Transpose...) act on NHWC tensors with 0-based
dims that count the batch dim, exactly as captcha-nn's do. State dicts stay
in PyTorch's layout and keys (conv weight [out, in, kH, kW]). Note that a
View after a convolution therefore flattens in H, W, C order.

Keys. module: input | input.<i>[.<j>], grad_output[...], output[...],
grad_input[...], state.<key> (state dict before forward), grad.<key>
(parameter gradients), state_after.<key> (buffers after forward); whole
models also carry target, loss and fused_grad.<key>: the parameter gradients
of criterion(model(input), target) for the fused training step (metadata
"criterion"). criterion: input, target, loss, grad_input. optim: param.<i>,
grad.<step>.<i>, param_after.<i> after 3 steps (metadata "spec" holds the
optimizer name and config).

Torch7 vs PyTorch: sgd's dampening defaults to the momentum in Torch7 (0 in
PyTorch) and its learningRateDecay has no PyTorch counterpart; adam adds
epsilon to sqrt(v) before the bias-corrected step size. Those get Python
references written from torch/optim's Lua; rmsprop, adagrad and adadelta use
torch.optim, whose maths equal Torch7's.
"""
import argparse
import copy
import json
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

# ----------------------------------------------------------------- safetensors


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer (the format: u64 LE header length, JSON header, raw LE data)."""
    dt = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8"), torch.int32: ("I32", "<i4"),
          torch.uint8: ("U8", "u1"), torch.bool: ("BOOL", "u1"), torch.float16: ("F16", "<f2")}
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        code, np_dt = dt[t.dtype]
        arr = t.numpy().astype(np_dt) if t.dtype != torch.bool else t.numpy().astype("u1")
        b = arr.tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


# ------------------------------------------------------------ layout helpers


def to_nchw(x):
    return x.permute(0, 3, 1, 2)


def to_nhwc(x):
    return x.permute(0, 2, 3, 1)


# ------------------------------------------------------- Torch7's modules in PyTorch


class SpatialConvolution(nn.Conv2d):
    def __init__(self, nIn, nOut, kW, kH, dW=1, dH=1, padW=0, padH=None):
        padH = padW if padH is None else padH
        super().__init__(nIn, nOut, (kH, kW), (dH, dW), (padH, padW))

    def forward(self, x):
        return to_nhwc(super().forward(to_nchw(x)))


class SpatialMaxPooling(nn.MaxPool2d):
    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0, ceil=False):
        super().__init__((kH, kW), (dH or kH, dW or kW), (padH, padW), ceil_mode=ceil)

    def forward(self, x):
        return to_nhwc(super().forward(to_nchw(x)))


class SpatialAveragePooling(nn.AvgPool2d):
    def __init__(self, kW, kH, dW=1, dH=1, padW=0, padH=0, ceil=False):
        super().__init__((kH, kW), (dH, dW), (padH, padW), ceil_mode=ceil, count_include_pad=True)

    def forward(self, x):
        return to_nhwc(super().forward(to_nchw(x)))


class SpatialBatchNormalization(nn.BatchNorm2d):
    def __init__(self, n, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(n, eps, momentum, affine)

    def forward(self, x):
        return to_nhwc(super().forward(to_nchw(x)))


class BatchNormalization(nn.BatchNorm1d):
    def __init__(self, n, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(n, eps, momentum, affine)


class LookupTable(nn.Embedding):
    def __init__(self, nIndex, nOutput, paddingValue=None):
        super().__init__(nIndex, nOutput, padding_idx=paddingValue)


class Linear(nn.Linear):
    def __init__(self, nIn, nOut, bias=True):
        super().__init__(nIn, nOut, bias)


class Fn(nn.Module):
    """A parameterless module from a function."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class Children(nn.Module):
    def __init__(self, children):
        super().__init__()
        for i, c in enumerate(children):
            self.add_module(str(i), c)

    def kids(self):
        return list(self.children())


class ConcatTable(Children):
    def forward(self, x):
        return [c(x) for c in self.kids()]


class ParallelTable(Children):
    def forward(self, x):
        return [c(x[i]) for i, c in enumerate(self.kids())]


def flatten_table(x):
    if torch.is_tensor(x):
        return [x]
    return [t for e in x for t in flatten_table(e)]


def torch_view(sizes, x):
    # Torch7 View's batch inference without numInputDims.
    known = int(np.prod([s for s in sizes if s != -1]))
    bsz = x.numel() // known
    if -1 in sizes:
        bsz = 1
    return x.reshape(*sizes) if bsz == 1 else x.reshape(bsz, *sizes)


def torch_reshape(sizes, x):
    # Torch7 Reshape's batch inference (batchMode nil).
    n = int(np.prod(sizes))
    if x.numel() == n and x.shape[0] != 1:
        return x.reshape(*sizes)
    return x.reshape(x.shape[0], *sizes)


def transpose(pairs, x):
    for a, b in pairs:
        x = x.transpose(a, b)
    return x


def product(xs):
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


SIMPLE = {
    "Identity": lambda: Fn(lambda x: x),
    "ReLU": lambda inplace=False: Fn(torch.relu),
    "Tanh": lambda: Fn(torch.tanh),
    "Sigmoid": lambda: Fn(torch.sigmoid),
    "LeakyReLU": lambda negval=0.01, inplace=False: Fn(lambda x: F.leaky_relu(x, negval)),
    "ELU": lambda alpha=1.0, inplace=False: Fn(lambda x: F.elu(x, alpha)),
    "LogSoftMax": lambda: Fn(lambda x: F.log_softmax(x, -1)),
    "SoftMax": lambda: Fn(lambda x: F.softmax(x, -1)),
    "CAddTable": lambda: Fn(lambda xs: sum(xs[1:], xs[0])),
    "CMulTable": lambda: Fn(product),
    "JoinTable": lambda dim, nInputDims=None: Fn(lambda xs: torch.cat(xs, dim)),
    "SplitTable": lambda dim, nInputDims=None: Fn(lambda x: list(torch.unbind(x, dim))),
    "SelectTable": lambda i: Fn(lambda xs: xs[i]),
    "NarrowTable": lambda offset, length=1: Fn(lambda xs: list(xs[offset:offset + length])),
    "FlattenTable": lambda: Fn(flatten_table),
    "View": lambda *sizes: Fn(lambda x: torch_view(sizes, x)),
    "Reshape": lambda *sizes: Fn(lambda x: torch_reshape(sizes, x)),
    "Transpose": lambda *pairs: Fn(lambda x: transpose(pairs, x)),
    "Squeeze": lambda dim=None: Fn(lambda x: x.squeeze() if dim is None else x.squeeze(dim)),
    "Unsqueeze": lambda pos: Fn(lambda x: x.unsqueeze(pos)),
}

LAYERS = {
    "SpatialConvolution": SpatialConvolution,
    "SpatialBatchNormalization": SpatialBatchNormalization,
    "BatchNormalization": BatchNormalization,
    "LookupTable": LookupTable,
    "Linear": Linear,
}


def build(spec):
    t, args = spec["type"], spec.get("args", [])
    if t == "Sequential":
        return nn.Sequential(*[build(c) for c in spec["children"]])
    if t == "ConcatTable":
        return ConcatTable([build(c) for c in spec["children"]])
    if t == "ParallelTable":
        return ParallelTable([build(c) for c in spec["children"]])
    if t in ("SpatialMaxPooling", "SpatialAveragePooling"):
        cls = SpatialMaxPooling if t == "SpatialMaxPooling" else SpatialAveragePooling
        return cls(*args, ceil=bool(spec.get("ceil")))
    if t in LAYERS:
        return LAYERS[t](*args)
    if t in SIMPLE:
        return SIMPLE[t](*args)
    raise ValueError("unknown module type " + t)


def criterion_fn(spec):
    t, a = spec["type"], spec.get("args", [])

    def red(size_average):
        return "mean" if size_average else "sum"

    def w(x):
        return None if x is None else torch.tensor(np.float32(x)).double()

    if t == "ClassNLLCriterion":
        weights, sa, ii = (a + [None, True, -100][len(a):])[:3]
        return lambda x, y: F.nll_loss(x, y, w(weights), ignore_index=ii, reduction=red(sa))
    if t == "CrossEntropyCriterion":
        weights, sa, ls = (a + [None, True, 0.0][len(a):])[:3]
        return lambda x, y: F.cross_entropy(x, y, w(weights), reduction=red(sa), label_smoothing=ls)
    if t == "MSECriterion":
        sa = a[0] if a else True
        return lambda x, y: F.mse_loss(x, y, reduction=red(sa))
    if t == "BCECriterion":
        weights, sa = (a + [None, True][len(a):])[:2]
        return lambda x, y: F.binary_cross_entropy(x, y, w(weights), reduction=red(sa))
    if t == "MultiCrossEntropyCriterion":
        ls = a[0] if a else 0.0
        return lambda x, y: F.cross_entropy(x.reshape(-1, x.shape[-1]), y.reshape(-1), label_smoothing=ls)
    raise ValueError("unknown criterion " + t)


# ------------------------------------------------------------------- drawing


def f32(a):
    """float32-representable values, computed in float64."""
    return torch.from_numpy(np.asarray(a, dtype=np.float32).astype(np.float64))


def normal(rng, shape, scale=1.0):
    return f32(rng.standard_normal(shape) * scale)


def uniform(rng, shape, lo, hi):
    return f32(rng.uniform(lo, hi, shape))


def randomize_state(m, rng):
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("bias"):
                p.copy_(normal(rng, p.shape, 0.3))
            elif name.endswith("weight") and p.dim() == 1:  # batch norm's affine weight
                p.copy_(uniform(rng, p.shape, 0.5, 1.5))
            else:
                fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else 1
                p.copy_(normal(rng, p.shape, 1.0 / np.sqrt(fan_in)))
        for name, b in m.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(normal(rng, b.shape, 0.2))
            elif name.endswith("running_var"):
                b.copy_(uniform(rng, b.shape, 0.5, 1.5))


# --------------------------------------------------------------- activities


def structure(name, act, out):
    """Flattens an activity into name / name.i / name.i.j keys."""
    if torch.is_tensor(act):
        out[name] = act
    else:
        for i, a in enumerate(act):
            structure(f"{name}.{i}", a, out)
    return out


def like(act, fn):
    return fn(act) if torch.is_tensor(act) else [like(a, fn) for a in act]


def leaves(act):
    return flatten_table(act)


def save_tensor(t):
    t = t.detach()
    return t.to(torch.float32) if t.is_floating_point() else t


# ------------------------------------------------------------------- cases


RTOL = 1e-4  # the tests' tolerance: |ours - PyTorch| <= RTOL * max(1, |PyTorch|)


def float32_ratio(ours, reference):
    """The worst |a - b| / (RTOL * max(1, |b|)) over the keys both share: 1 is at the tests' tolerance."""
    worst = 0.0
    for k, b in reference.items():
        if k in ours and b.is_floating_point():
            assert ours[k].dtype == torch.float32, f"{k} was computed in {ours[k].dtype}, not float32"
            a, b = ours[k].detach().double(), b.detach().double()
            worst = max(worst, float(((a - b).abs() / (RTOL * b.abs().clamp(min=1))).max()) if b.numel() else 0.0)
    return worst


def as_float32(act):
    return like(act, lambda t: t.detach().float() if t.is_floating_point() else t)


def gradients(m, inputs, grad_output):
    """Forward and backward: (inputs, output, grad_output, grad_input, parameter gradients by key).
    grad_output is an activity, or a function of the output that draws one."""
    inputs = like(inputs, lambda t: t.clone().requires_grad_(t.is_floating_point()))
    output = m(inputs)
    if callable(grad_output):
        grad_output = grad_output(output)
    xs = [t for t in leaves(inputs) if t.requires_grad]
    params = list(m.named_parameters())
    grads = torch.autograd.grad(leaves(output), xs + [p for _, p in params], leaves(grad_output), allow_unused=True)
    gx = {id(x): g for x, g in zip(xs, grads[: len(xs)])}
    dtype = next(o.dtype for o in leaves(output) if o.is_floating_point())  # of the zeros for unused or integer inputs
    grad_input = like(inputs, lambda t: gx.get(id(t)) if gx.get(id(t)) is not None else torch.zeros(t.shape, dtype=dtype))
    pgrads = {k: g if g is not None else torch.zeros(p.shape, dtype=p.dtype) for (k, p), g in zip(params, grads[len(xs):])}
    return inputs, output, grad_output, grad_input, pgrads


def fused_gradients(m, inputs, criterion, target):
    """criterion(m(inputs), target) and its parameter gradients by key."""
    inputs = like(inputs, lambda t: t.detach().clone().requires_grad_(t.is_floating_point()))
    loss = criterion_fn(criterion)(m(inputs), target)
    params = list(m.named_parameters())
    grads = torch.autograd.grad(loss, [p for _, p in params], allow_unused=True)
    return loss, {k: g if g is not None else torch.zeros(p.shape, dtype=p.dtype) for (k, p), g in zip(params, grads)}


def module_case(out_dir, name, spec, inputs, rng, criterion=None, target=None, sgd=None):
    m = build(spec)
    randomize_state(m, rng)
    train = spec.get("train", True)
    m.train(train)
    state = {k: v.clone() for k, v in m.state_dict().items()}
    fused_model = copy.deepcopy(m)
    # The same case in float32, as our backends compute it: how far PyTorch itself lands from the float64 answer
    # tells the tests how much rounding this case amplifies (deep nets with batch norm on small batches do).
    m32, fused32 = copy.deepcopy(m).float(), copy.deepcopy(m).float()

    inputs, output, grad_output, grad_input, grads = gradients(
        m, inputs, lambda out: like(out, lambda t: normal(rng, tuple(t.shape))))
    tensors = {}
    structure("input", inputs, tensors)
    structure("grad_output", grad_output, tensors)
    structure("output", output, tensors)
    structure("grad_input", grad_input, tensors)
    for k, v in state.items():
        tensors["state." + k] = v
    for k, g in grads.items():
        tensors["grad." + k] = g
    for k, v in m.named_buffers():
        tensors["state_after." + k] = v
    meta = {"kind": "module", "spec": json.dumps(spec), "case": name}

    _, out32, _, gin32, grads32 = gradients(m32, as_float32(inputs), as_float32(grad_output))
    ours32 = structure("output", out32, {})
    structure("grad_input", gin32, ours32)
    ours32.update({"grad." + k: g for k, g in grads32.items()})
    ours32.update({"state_after." + k: v for k, v in m32.named_buffers()})
    ratio = float32_ratio(ours32, tensors)

    if criterion is not None:
        loss, fgrads = fused_gradients(fused_model, inputs, criterion, target)
        for k, g in fgrads.items():
            tensors["fused_grad." + k] = g
        tensors["target"] = target
        tensors["loss"] = loss.detach().reshape([])
        meta["criterion"] = json.dumps(criterion)
        loss32, fgrads32 = fused_gradients(fused32, as_float32(inputs), criterion, target)
        ratio = max(ratio, float32_ratio({"loss": loss32.reshape([]), **{"fused_grad." + k: g for k, g in fgrads32.items()}},
                                         tensors))
        if sgd is not None:
            # One step of torch.optim.SGD from fresh state: for a first step it is Torch7's sgd too (the
            # momentum buffer starts as the gradient, so Torch7's dampening does not enter).
            fparams = [p for _, p in fused_model.named_parameters()]
            opt = torch.optim.SGD(fparams, lr=sgd["learningRate"], momentum=sgd.get("momentum", 0),
                                  weight_decay=sgd.get("weightDecay", 0))
            for p, g in zip(fparams, fgrads.values()):
                p.grad = g
            with torch.no_grad():
                opt.step()
            for k, v in fused_model.state_dict().items():
                tensors["sgd_after." + k] = v.clone()
            meta["sgd"] = json.dumps(sgd)

    meta["float32_ratio"] = f"{ratio:.4g}"
    write(out_dir, name, tensors, meta)


def criterion_case(out_dir, name, spec, x, target):
    x = x.clone().requires_grad_(True)
    loss = criterion_fn(spec)(x, target)
    (g,) = torch.autograd.grad(loss, [x])
    write(out_dir, name, {"input": x, "target": target, "loss": loss.reshape([]), "grad_input": g},
          {"kind": "criterion", "spec": json.dumps(spec), "case": name})


def write(out_dir, name, tensors, meta):
    write_safetensors(os.path.join(out_dir, name + ".safetensors"),
                      {k: save_tensor(v) for k, v in tensors.items()}, meta)


# ------------------------------------------------------------------ optimizers


def sgd_reference(params, grads_per_step, cfg):
    """torch/optim's sgd.lua, on the parameters as one flat vector (all maths is elementwise)."""
    lr = cfg.get("learningRate", 1e-3)
    lrd = cfg.get("learningRateDecay", 0)
    wd = cfg.get("weightDecay", 0)
    mom = cfg.get("momentum", 0)
    damp = cfg.get("dampening", mom)
    nesterov = cfg.get("nesterov", False)
    xs = [p.clone() for p in params]
    bufs = None
    for nevals, grads in enumerate(grads_per_step):
        ds = [g.clone() for g in grads]
        if wd != 0:
            ds = [d + wd * x for d, x in zip(ds, xs)]
        if mom != 0:
            if bufs is None:
                bufs = [d.clone() for d in ds]
            else:
                bufs = [b * mom + (1 - damp) * d for b, d in zip(bufs, ds)]
            ds = [d + mom * b for d, b in zip(ds, bufs)] if nesterov else bufs
        clr = lr / (1 + nevals * lrd)
        xs = [x - clr * d for x, d in zip(xs, ds)]
    return xs


def adam_reference(params, grads_per_step, cfg):
    """torch/optim's adam.lua: denom = sqrt(v) + eps; step = clr * sqrt(1 - b2^t) / (1 - b1^t)."""
    lr = cfg.get("learningRate", 1e-3)
    lrd = cfg.get("learningRateDecay", 0)
    b1 = cfg.get("beta1", 0.9)
    b2 = cfg.get("beta2", 0.999)
    eps = cfg.get("epsilon", 1e-8)
    wd = cfg.get("weightDecay", 0)
    xs = [p.clone() for p in params]
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    for t0, grads in enumerate(grads_per_step):
        ds = [g + wd * x if wd != 0 else g.clone() for g, x in zip(grads, xs)]
        clr = lr / (1 + t0 * lrd)
        t = t0 + 1
        m = [b1 * a + (1 - b1) * d for a, d in zip(m, ds)]
        v = [b2 * a + (1 - b2) * d * d for a, d in zip(v, ds)]
        step = clr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        xs = [x - step * a / (torch.sqrt(b) + eps) for x, a, b in zip(xs, m, v)]
    return xs


def torch_optim(cls, **kw):
    def run(params, grads_per_step, cfg):
        ps = [p.clone().requires_grad_(True) for p in params]
        opt = cls(ps, **kw)
        for grads in grads_per_step:
            for p, g in zip(ps, grads):
                p.grad = g.clone()
            opt.step()
        return [p.detach() for p in ps]

    return run


def optim_cases():
    S = torch.optim
    return [
        ("optim_sgd", "sgd", {"learningRate": 0.1}, sgd_reference),
        ("optim_sgd_momentum", "sgd", {"learningRate": 0.1, "momentum": 0.9}, sgd_reference),
        ("optim_sgd_momentum_dampening", "sgd", {"learningRate": 0.05, "momentum": 0.8, "dampening": 0.3},
         sgd_reference),
        ("optim_sgd_nesterov", "sgd", {"learningRate": 0.1, "momentum": 0.9, "dampening": 0, "nesterov": True},
         sgd_reference),
        ("optim_sgd_weightdecay", "sgd", {"learningRate": 0.1, "weightDecay": 0.05, "momentum": 0.5},
         sgd_reference),
        ("optim_sgd_lrdecay", "sgd", {"learningRate": 0.1, "learningRateDecay": 0.5}, sgd_reference),
        ("optim_rmsprop", "rmsprop", {"learningRate": 0.01, "alpha": 0.9, "epsilon": 1e-6},
         torch_optim(S.RMSprop, lr=0.01, alpha=0.9, eps=1e-6)),
        ("optim_adagrad", "adagrad", {"learningRate": 0.1, "learningRateDecay": 0.1},
         torch_optim(S.Adagrad, lr=0.1, lr_decay=0.1, eps=1e-10)),
        ("optim_adadelta", "adadelta", {"rho": 0.9, "eps": 1e-6}, torch_optim(S.Adadelta, lr=1.0, rho=0.9, eps=1e-6)),
        ("optim_adam", "adam", {"learningRate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, adam_reference),
        ("optim_adam_wd_lrd", "adam", {"learningRate": 0.01, "learningRateDecay": 0.2, "weightDecay": 0.01},
         adam_reference),
    ]


# ------------------------------------------------------------------- the cases


def conv(nIn, nOut, k, d=1, pad=0):
    return {"type": "SpatialConvolution", "args": [nIn, nOut, k, k, d, d, pad, pad]}


def sbn(n):
    return {"type": "SpatialBatchNormalization", "args": [n]}


def relu():
    return {"type": "ReLU"}


def seq(*children, **opts):
    return {"type": "Sequential", "children": list(children), **opts}


def resnet_basic(c):
    branch = seq(conv(c, c, 3, 1, 1), sbn(c), relu(), conv(c, c, 3, 1, 1), sbn(c))
    return seq({"type": "ConcatTable", "children": [branch, {"type": "Identity"}]}, {"type": "CAddTable"}, relu())


def resnet_down(cin, cout):
    branch = seq(conv(cin, cout, 3, 2, 1), sbn(cout), relu(), conv(cout, cout, 3, 1, 1), sbn(cout))
    shortcut = seq(conv(cin, cout, 1, 2, 0), sbn(cout))
    return seq({"type": "ConcatTable", "children": [branch, shortcut]}, {"type": "CAddTable"}, relu())


class DRAW:
    """The generator the current case draws its inputs from."""

    rng = None


def module_cases(rng):
    """(name, spec, input maker, extras). Sizes are drawn from the seed."""
    r = lambda lo, hi: int(rng.randint(lo, hi + 1))  # noqa: E731
    N = r(2, 3)
    H, W = r(5, 9), r(6, 11)
    img = lambda c, h=H, w=W, n=N: normal(DRAW.rng, (n, h, w, c))  # noqa: E731
    vec = lambda *s: normal(DRAW.rng, s)  # noqa: E731
    C = r(3, 6)
    cases = [
        ("SpatialConvolution_3x3", {"type": "SpatialConvolution", "args": [3, 5, 3, 3]}, lambda: img(3)),
        ("SpatialConvolution_stride2_pad", {"type": "SpatialConvolution", "args": [3, 8, 3, 3, 2, 2, 1, 1]},
         lambda: img(3)),
        ("SpatialConvolution_rect", {"type": "SpatialConvolution", "args": [2, 4, 3, 2, 1, 2, 1, 0]},
         lambda: img(2)),
        ("SpatialConvolution_1x1_stride2", {"type": "SpatialConvolution", "args": [4, 6, 1, 1, 2, 2, 0, 0]},
         lambda: img(4)),
        ("SpatialMaxPooling_2x2", {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2]}, lambda: img(3)),
        ("SpatialMaxPooling_2x2_ceil", {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2], "ceil": True},
         lambda: img(3, 2 * r(2, 4) + 1, 2 * r(2, 4) + 1)),
        ("SpatialMaxPooling_3x3_s2_pad1_ceil",
         {"type": "SpatialMaxPooling", "args": [3, 3, 2, 2, 1, 1], "ceil": True}, lambda: img(2)),
        ("SpatialMaxPooling_rect", {"type": "SpatialMaxPooling", "args": [3, 2, 2, 1, 1, 0]}, lambda: img(2)),
        ("SpatialAveragePooling_2x2", {"type": "SpatialAveragePooling", "args": [2, 2, 2, 2]}, lambda: img(3)),
        ("SpatialAveragePooling_3x3_s2_pad1_ceil",
         {"type": "SpatialAveragePooling", "args": [3, 3, 2, 2, 1, 1], "ceil": True}, lambda: img(2)),
        ("SpatialAveragePooling_2x2_ceil", {"type": "SpatialAveragePooling", "args": [2, 2, 2, 2], "ceil": True},
         lambda: img(2, 2 * r(2, 4) + 1, 2 * r(2, 4) + 1)),
        ("SpatialAveragePooling_3x2_s1", {"type": "SpatialAveragePooling", "args": [3, 2]}, lambda: img(2)),
        ("SpatialBatchNormalization_train", {"type": "SpatialBatchNormalization", "args": [C]},
         lambda: img(C) * 2 + 0.5),
        ("SpatialBatchNormalization_eval", {"type": "SpatialBatchNormalization", "args": [C], "train": False},
         lambda: img(C)),
        ("SpatialBatchNormalization_noaffine_train",
         {"type": "SpatialBatchNormalization", "args": [C, 1e-3, 0.2, False]}, lambda: img(C)),
        ("BatchNormalization_train", {"type": "BatchNormalization", "args": [C]}, lambda: vec(4 + N, C)),
        ("BatchNormalization_eval", {"type": "BatchNormalization", "args": [C], "train": False},
         lambda: vec(N, C)),
        ("Linear", {"type": "Linear", "args": [7, 5]}, lambda: vec(N, 7)),
        ("Linear_nobias", {"type": "Linear", "args": [6, 3, False]}, lambda: vec(N, 6)),
        ("LookupTable", {"type": "LookupTable", "args": [10, 4]},
         lambda: torch.from_numpy(DRAW.rng.randint(0, 10, (N, 5))).long()),
        ("LookupTable_padding", {"type": "LookupTable", "args": [8, 3, 2]},
         lambda: torch.tensor([[2, 0, 2, 5], [7, 2, 1, 2]] + [[3, 2, 4, 6]] * (N - 2)).long()),
        ("ReLU", {"type": "ReLU"}, lambda: vec(N, 9)),
        ("Tanh", {"type": "Tanh"}, lambda: vec(N, 9)),
        ("Sigmoid", {"type": "Sigmoid"}, lambda: vec(N, 9)),
        ("LeakyReLU", {"type": "LeakyReLU", "args": [0.2]}, lambda: vec(N, 9)),
        ("LeakyReLU_default", {"type": "LeakyReLU"}, lambda: img(2)),
        ("ELU", {"type": "ELU", "args": [0.7]}, lambda: vec(N, 9) * 2),
        ("LogSoftMax", {"type": "LogSoftMax"}, lambda: vec(N, 7)),
        ("SoftMax", {"type": "SoftMax"}, lambda: vec(N, 7)),
        ("Identity", {"type": "Identity"}, lambda: vec(N, 4)),
        ("JoinTable_dim1", {"type": "JoinTable", "args": [1]}, lambda: [vec(N, 3), vec(N, 5)]),
        ("JoinTable_channels", {"type": "JoinTable", "args": [3]}, lambda: [img(2), img(3), img(1)]),
        ("JoinTable_negative", {"type": "JoinTable", "args": [-2]}, lambda: [vec(N, 2, 3), vec(N, 4, 3)]),
        ("SplitTable_dim1", {"type": "SplitTable", "args": [1]}, lambda: vec(N, 3, 4)),
        ("SplitTable_negative", {"type": "SplitTable", "args": [-1]}, lambda: vec(N, 2, 3)),
        ("SelectTable", {"type": "SelectTable", "args": [1]}, lambda: [vec(N, 2), vec(N, 3), vec(N, 4)]),
        ("SelectTable_negative", {"type": "SelectTable", "args": [-1]}, lambda: [vec(N, 2), vec(N, 3)]),
        ("NarrowTable", {"type": "NarrowTable", "args": [1, 2]},
         lambda: [vec(N, 2), vec(N, 3), vec(N, 4), vec(N, 1)]),
        ("FlattenTable", {"type": "FlattenTable"}, lambda: [vec(N, 2), [vec(N, 3), [vec(N, 1), vec(N, 2)]]]),
        ("CAddTable", {"type": "CAddTable"}, lambda: [img(2), img(2), img(2)]),
        ("CMulTable", {"type": "CMulTable"}, lambda: [vec(N, 5), vec(N, 5), vec(N, 5)]),
        ("ConcatTable", {"type": "ConcatTable", "children": [{"type": "Linear", "args": [4, 3]}, {"type": "Identity"},
                                                              {"type": "Tanh"}]}, lambda: vec(N, 4)),
        ("ParallelTable", {"type": "ParallelTable", "children": [{"type": "Linear", "args": [4, 3]},
                                                                  {"type": "Sigmoid"}]},
         lambda: [vec(N, 4), vec(N, 2)]),
        ("View", {"type": "View", "args": [H * W * 2]}, lambda: img(2)),
        ("View_minus1", {"type": "View", "args": [-1, 6]}, lambda: vec(N, 2, 3)),
        ("Reshape", {"type": "Reshape", "args": [3, 4]}, lambda: vec(N, 12)),
        ("Reshape_flatten", {"type": "Reshape", "args": [H * W * 2]}, lambda: img(2)),
        ("Transpose", {"type": "Transpose", "args": [[1, 2]]}, lambda: vec(N, 3, 4)),
        ("Transpose_pairs", {"type": "Transpose", "args": [[1, 3], [2, 3]]}, lambda: img(2)),
        ("Squeeze_dim", {"type": "Squeeze", "args": [2]}, lambda: vec(N, 3, 1, 4)),
        ("Squeeze_all", {"type": "Squeeze"}, lambda: vec(N, 1, 3, 1)),
        ("Unsqueeze", {"type": "Unsqueeze", "args": [1]}, lambda: vec(N, 3, 4)),
        ("Sequential_mlp", seq({"type": "Linear", "args": [5, 8]}, {"type": "Tanh"}, {"type": "Linear", "args": [8, 3]},
                               {"type": "LogSoftMax"}), lambda: vec(N, 5)),
        ("resnet_basic_unit", resnet_basic(4), lambda: img(4)),
        ("resnet_down_unit", resnet_down(3, 6), lambda: img(3, 2 * r(3, 5) + 1, 2 * r(3, 5))),
    ]
    return cases


def model_cases(rng):
    n = int(rng.randint(2, 4))
    k = 6
    # VGG units on a 10x20x1 captcha-like input: two pool-ceil halvings give 3x5.
    vgg = seq(conv(1, 4, 3, 1, 1), sbn(4), relu(), {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2], "ceil": True},
              conv(4, 8, 3, 1, 1), sbn(8), relu(), {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2], "ceil": True},
              {"type": "View", "args": [3 * 5 * 8]}, {"type": "Linear", "args": [120, k]})
    # ResNet: stem, a basic unit, a downsampling unit, average pool, Reshape, Linear.
    # 9x13 -> stride 2 -> 5x7 -> 5x7 avg pool.
    resnet = seq(conv(1, 4, 3, 1, 1), sbn(4), relu(), resnet_basic(4), resnet_down(4, 8),
                 {"type": "SpatialAveragePooling", "args": [7, 5, 7, 5]}, {"type": "Reshape", "args": [8]},
                 {"type": "Linear", "args": [8, k]})
    ce = {"type": "CrossEntropyCriterion"}
    tgt = lambda: torch.from_numpy(rng.randint(0, k, (n,))).long()  # noqa: E731
    # examples/resnet-mnist's residual net of depth 6N+10 with N=1 (depth 16), at an eighth of its width (2/4/8, so the fixture stays small).
    # 11x9 -> 11x9 -> 6x5 -> 3x3 in the stages -> 2x2 max pooling (ceil). Its own draws (DRAW.rng), so that
    # `--only` gives the same fixture as a full run.
    r16 = seq(conv(1, 2, 3, 1, 1), sbn(2), relu(), conv(2, 2, 3, 1, 1), sbn(2), relu(), conv(2, 2, 3, 1, 1), sbn(2),
              relu(), resnet_basic(2), resnet_basic(2), resnet_down(2, 4), resnet_basic(4), resnet_down(4, 8),
              resnet_basic(8), {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2], "ceil": True},
              {"type": "View", "args": [-1, 32]}, {"type": "Linear", "args": [32, k]}, {"type": "LogSoftMax"})
    nll = {"type": "ClassNLLCriterion"}
    sgd = {"learningRate": 0.1, "momentum": 0.9, "weightDecay": 5e-4}
    return [
        ("model_vgg_train", vgg, lambda: normal(rng, (n, 10, 20, 1)), ce, tgt),
        ("model_vgg_eval", {**vgg, "train": False}, lambda: normal(rng, (n, 10, 20, 1)), ce, tgt),
        ("model_resnet_train", resnet, lambda: normal(rng, (n, 9, 13, 1)), ce, tgt),
        ("model_resnet16_train", r16, lambda: normal(DRAW.rng, (n + 1, 11, 9, 1)), nll,
         lambda: torch.from_numpy(DRAW.rng.randint(0, k, (n + 1,))).long(), sgd),
    ]


def criterion_cases(rng):
    N, C = int(rng.randint(3, 6)), int(rng.randint(3, 6))
    logp = lambda: F.log_softmax(normal(rng, (N, C)), -1).to(torch.float32).double()  # noqa: E731
    cls = lambda: torch.from_numpy(rng.randint(0, C, (N,))).long()  # noqa: E731
    weights = [round(float(x), 3) for x in rng.uniform(0.2, 2.0, C)]
    probs = lambda: uniform(rng, (N, C), 0.05, 0.95)  # noqa: E731

    def cls_with_ignored():
        t = cls()
        t[0] = 1
        t[1] = 1
        t[2] = 0
        return t

    k = int(rng.randint(2, 5))
    return [
        ("ClassNLLCriterion", {"type": "ClassNLLCriterion"}, logp, cls),
        ("ClassNLLCriterion_sum", {"type": "ClassNLLCriterion", "args": [None, False]}, logp, cls),
        ("ClassNLLCriterion_weights_ignore", {"type": "ClassNLLCriterion", "args": [weights, True, 1]}, logp,
         cls_with_ignored),
        ("ClassNLLCriterion_weights_sum", {"type": "ClassNLLCriterion", "args": [weights, False]}, logp, cls),
        ("CrossEntropyCriterion", {"type": "CrossEntropyCriterion"}, lambda: normal(rng, (N, C)), cls),
        ("CrossEntropyCriterion_weights_sum", {"type": "CrossEntropyCriterion", "args": [weights, False]},
         lambda: normal(rng, (N, C)), cls),
        ("MSECriterion", {"type": "MSECriterion"}, lambda: normal(rng, (N, C, 2)), lambda: normal(rng, (N, C, 2))),
        ("MSECriterion_sum", {"type": "MSECriterion", "args": [False]}, lambda: normal(rng, (N, C)),
         lambda: normal(rng, (N, C))),
        ("BCECriterion", {"type": "BCECriterion"}, probs, lambda: f32(rng.randint(0, 2, (N, C)))),
        ("BCECriterion_weights_sum", {"type": "BCECriterion", "args": [weights, False]}, probs,
         lambda: f32(rng.randint(0, 2, (N, C)))),
        ("MultiCrossEntropyCriterion", {"type": "MultiCrossEntropyCriterion"}, lambda: normal(rng, (N, k, C)),
         lambda: torch.from_numpy(rng.randint(0, C, (N, k))).long()),
        # Label smoothing (PyTorch's, not Torch7's) last, so that adding them left the earlier cases' draws alone.
        ("MultiCrossEntropyCriterion_smoothing", {"type": "MultiCrossEntropyCriterion", "args": [0.1]},
         lambda: normal(rng, (N, k, C)), lambda: torch.from_numpy(rng.randint(0, C, (N, k))).long()),
        ("CrossEntropyCriterion_smoothing", {"type": "CrossEntropyCriterion", "args": [None, True, 0.1]},
         lambda: normal(rng, (N, C)), cls),
        ("CrossEntropyCriterion_weights_smoothing", {"type": "CrossEntropyCriterion", "args": [weights, True, 0.3]},
         lambda: normal(rng, (N, C)), cls),
        ("CrossEntropyCriterion_weights_sum_smoothing",
         {"type": "CrossEntropyCriterion", "args": [weights, False, 0.2]}, lambda: normal(rng, (N, C)), cls),
    ]


def rng_for(seed, name):
    return np.random.RandomState((seed * 1_000_003 + zlib.crc32(name.encode())) % 2**32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", help="comma-separated case names")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    want = lambda n: only is None or n in only  # noqa: E731
    count = 0

    shapes_rng = rng_for(args.seed, "shapes")
    for name, spec, make in module_cases(shapes_rng):
        if want(name):
            rng = rng_for(args.seed, name)
            DRAW.rng = rng_for(args.seed, name + ".input")
            module_case(args.out, name, spec, make(), rng)
            count += 1
    for name, spec, make, crit, tgt, *sgd in model_cases(rng_for(args.seed, "models")):
        if want(name):
            rng = rng_for(args.seed, name)
            DRAW.rng = rng_for(args.seed, name + ".input")
            module_case(args.out, name, spec, make(), rng, crit, tgt(), *sgd)
            count += 1
    crng = rng_for(args.seed, "criteria")
    for name, spec, make_x, make_t in criterion_cases(crng):
        if want(name):
            criterion_case(args.out, name, spec, make_x(), make_t())
            count += 1
    for name, fn_name, cfg, ref in optim_cases():
        if not want(name):
            continue
        rng = rng_for(args.seed, name)
        shapes = [(3, 4), (5,)]
        params = [normal(rng, s) for s in shapes]
        grads = [[normal(rng, s) for s in shapes] for _ in range(3)]
        after = ref(params, grads, cfg)
        tensors = {f"param.{i}": p for i, p in enumerate(params)}
        tensors.update({f"grad.{s}.{i}": g for s, gs in enumerate(grads) for i, g in enumerate(gs)})
        tensors.update({f"param_after.{i}": p for i, p in enumerate(after)})
        spec = {"type": fn_name, "config": cfg}
        write(args.out, name, tensors, {"kind": "optim", "spec": json.dumps(spec), "case": name, "steps": "3"})
        count += 1
    print(f"wrote {count} fixtures to {args.out}")


if __name__ == "__main__":
    main()
