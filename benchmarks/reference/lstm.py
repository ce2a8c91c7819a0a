"""Case (b): an LSTM over T steps (time-major) + MSE in PyTorch; see common.py."""
import torch
import torch.nn as nn

from common import run


class Net(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.lstm = nn.LSTM(spec['inputSize'], spec['hidden'])

    def forward(self, x):
        return self.lstm(x)[0]


def build(spec):
    return Net(spec), nn.MSELoss()


def make_batch(spec, n):
    x = torch.randn(spec['steps'], n, spec['inputSize'])
    return x, torch.randn(spec['steps'], n, spec['hidden'])


if __name__ == '__main__':
    run(build, make_batch)
