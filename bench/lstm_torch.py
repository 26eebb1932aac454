#!/usr/bin/python3
"""PyTorch CPU baseline for wgpt's recurrent bench: nn.LSTM or nn.GRU forward + backward on random input, same sizes.

Prints one JSON line: {"torch", "threads", "median_ms", "min_ms", "max_ms", "tokens_per_s"}. Run by
bench/lstm.ts when /usr/bin/python3 can import torch. Leaves out: GPUs, cuDNN (CPU only here).
"""
import argparse, json, os, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
ap.add_argument("--input", type=int, default=128)
ap.add_argument("--hidden", type=int, default=128)
ap.add_argument("--seq", type=int, default=32)
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--layers", type=int, default=1)
ap.add_argument("--bidirectional", action="store_true")
ap.add_argument("--runs", type=int, default=5)
a = ap.parse_args()
torch.set_num_threads(len(os.sched_getaffinity(0)))  # every core this process may use (2 here)

torch.manual_seed(0)
m = (torch.nn.LSTM if a.cell == "lstm" else torch.nn.GRU)(a.input, a.hidden, num_layers=a.layers, bidirectional=a.bidirectional)
x = torch.randn(a.seq, a.batch, a.input, requires_grad=True)


def once():
    m.zero_grad()
    x.grad = None
    out, st = m(x)
    (out.sum() + sum(s.sum() for s in (st if isinstance(st, tuple) else (st,)))).backward()


once()
ts = []
for _ in range(a.runs):
    t0 = time.perf_counter()
    once()
    ts.append((time.perf_counter() - t0) * 1e3)
ts.sort()
med = ts[len(ts) // 2] if len(ts) % 2 else (ts[len(ts) // 2 - 1] + ts[len(ts) // 2]) / 2
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "median_ms": med, "min_ms": ts[0], "max_ms": ts[-1],
                  "tokens_per_s": a.seq * a.batch / (med / 1e3)}))
