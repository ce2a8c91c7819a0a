"""PyTorch's side of src/conv-peak.mjs: GFLOP/s of one 3x3 pad-1 convolution
forward on one thread, for each shape given as N,H,W,C,O; prints one line of
JSON {"torch": version, "threads": 1, "shapes": [{"shape": [...], "median_ms", "gflops"}]}.

  /usr/bin/python3 benchmarks/reference/conv_peak.py 8,50,200,64,64 8,13,50,256,256
"""
import json
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
out = []
for arg in sys.argv[1:]:
    n, h, w, c, o = (int(v) for v in arg.split(','))
    x = torch.randn(n, c, h, w)
    conv = torch.nn.Conv2d(c, o, 3, padding=1, bias=False)
    times = []
    with torch.no_grad():
        for i in range(7):
            t = time.perf_counter()
            conv(x)
            if i >= 2:
                times.append((time.perf_counter() - t) * 1000)
    ms = statistics.median(times)
    out.append({'shape': [n, h, w, c, o], 'median_ms': ms, 'gflops': 2 * n * h * w * c * o * 9 / ms / 1e6})
print(json.dumps({'torch': torch.__version__, 'threads': 1, 'shapes': out}))
