"""Case (c): the residual stack in PyTorch; see common.py."""
import torch
import torch.nn as nn

from common import run


class Unit(nn.Module):
    """ConcatTable(Sequential(conv, BN, ReLU, conv, BN), shortcut) -> CAddTable -> ReLU."""

    def __init__(self, n_in, n_out):
        super().__init__()
        stride = 1 if n_in == n_out else 2
        self.body = nn.Sequential(
            nn.Conv2d(n_in, n_out, 3, stride, 1), nn.BatchNorm2d(n_out), nn.ReLU(inplace=True),
            nn.Conv2d(n_out, n_out, 3, 1, 1), nn.BatchNorm2d(n_out),
        )
        self.shortcut = (
            nn.Identity() if stride == 1 else nn.Sequential(nn.Conv2d(n_in, n_out, 1, 2), nn.BatchNorm2d(n_out))
        )

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def build(spec):
    units = spec['units']
    layers = [nn.Conv2d(spec['channels'], units[0], 3, 1, 1), nn.BatchNorm2d(units[0]), nn.ReLU(inplace=True)]
    c = units[0]
    for out in units:
        layers.append(Unit(c, out))
        c = out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, spec['classes'])]
    return nn.Sequential(*layers), nn.CrossEntropyLoss()


def make_batch(spec, n):
    x = torch.randn(n, spec['channels'], spec['height'], spec['width'])
    return x, torch.randint(0, spec['classes'], (n,))


if __name__ == '__main__':
    run(build, make_batch)
