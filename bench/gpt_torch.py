#!/usr/bin/python3
"""PyTorch CPU baseline for `wgpt bench peer-train`: the GPT trained from the same initial weights, on the same batches,
with torch.optim.AdamW at the same settings, written as functional torch ops (GPT-2 layout, Conv1D weights [in, out]).

Usage: gpt_torch.py DIR, where DIR holds spec.json (config, B, T, steps, opt, params [{name, shape}], batches [{x, y}])
and params.f32 (every parameter in spec order, little-endian float32), both written by bench/peer.ts.
Prints one JSON line: {"torch", "threads", "losses", "step_ms"} (step_ms: steps 2..N). Leaves out: dropout, GPUs.
"""
import json, math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F

d = sys.argv[1]
spec = json.load(open(os.path.join(d, "spec.json")))
flat = np.fromfile(os.path.join(d, "params.f32"), dtype="<f4")
torch.set_num_threads(len(os.sched_getaffinity(0)))  # every core this process may use (2 here)

P = {}
off = 0
for p in spec["params"]:
    n = int(np.prod(p["shape"]))
    P[p["name"]] = torch.tensor(flat[off:off + n].reshape(p["shape"]), requires_grad=True)
    off += n
assert off == flat.size, "params.f32 size does not match spec"

cfg = spec["config"]
B, T = spec["B"], spec["T"]
C, H, L = cfg["d_model"], cfg["n_heads"], cfg["n_layers"]
hd = C // H
eps = cfg["layernorm_eps"]
mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def loss_of(x, y):
    h = P["wte.weight"][x] + P["wpe.weight"][:T]
    for i in range(L):
        p = f"h.{i}."
        a = F.layer_norm(h, (C,), P[p + "ln_1.weight"], P[p + "ln_1.bias"], eps) @ P[p + "attn.c_attn.weight"]
        if cfg["qkv_bias"]:
            a = a + P[p + "attn.c_attn.bias"]
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in a.split(C, dim=2))
        s = (q @ k.transpose(2, 3)) / math.sqrt(hd)
        s = s.masked_fill(mask, float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        h = h + o @ P[p + "attn.c_proj.weight"] + P[p + "attn.c_proj.bias"]
        m = gelu(F.layer_norm(h, (C,), P[p + "ln_2.weight"], P[p + "ln_2.bias"], eps) @ P[p + "mlp.c_fc.weight"] + P[p + "mlp.c_fc.bias"])
        h = h + m @ P[p + "mlp.c_proj.weight"] + P[p + "mlp.c_proj.bias"]
    head = P["wte.weight"] if cfg["tie_embeddings"] else P["lm_head.weight"]
    logits = F.layer_norm(h, (C,), P["ln_f.weight"], P["ln_f.bias"], eps) @ head.t()
    return F.cross_entropy(logits.view(B * T, -1), y.view(-1))


o = spec["opt"]
opt = torch.optim.AdamW(list(P.values()), lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weightDecay"])
losses, step_ms = [], []
for s in range(spec["steps"]):
    b = spec["batches"][s]
    x = torch.tensor(b["x"], dtype=torch.long).view(B, T)
    y = torch.tensor(b["y"], dtype=torch.long).view(B, T)
    t0 = time.perf_counter()
    opt.zero_grad()
    loss = loss_of(x, y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
    if s > 0:
        step_ms.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "losses": losses, "step_ms": step_ms}))
