"""Case (a): the captcha convnet (seed VGG or compact) in PyTorch; see common.py."""
import math

import torch
import torch.nn as nn

from common import run


def build(spec):
    layers = []
    c, h, w = spec['channels'], spec['height'], spec['width']
    for stage in spec['stages']:
        for out in stage:
            layers += [nn.Conv2d(c, out, 3, 1, 1), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            c = out
        layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        h, w = math.ceil(h / 2), math.ceil(w / 2)
    k, classes = spec['chars'], spec['classes']
    layers += [
        nn.Flatten(),
        nn.Linear(c * h * w, spec['hidden']),
        nn.BatchNorm1d(spec['hidden']),
        nn.ReLU(inplace=True),
        nn.Linear(spec['hidden'], k * classes),
        nn.Unflatten(1, (k, classes)),
    ]
    ce = nn.CrossEntropyLoss()
    # MultiCrossEntropyCriterion: cross-entropy averaged over all N·k characters.
    return nn.Sequential(*layers), lambda out, y: ce(out.reshape(-1, classes), y.reshape(-1))


def make_batch(spec, n):
    x = torch.randn(n, spec['channels'], spec['height'], spec['width'])
    y = torch.randint(0, spec['classes'], (n, spec['chars']))
    return x, y


if __name__ == '__main__':
    run(build, make_batch)
