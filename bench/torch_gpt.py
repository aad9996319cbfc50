"""PyTorch peer of `SharpLM.Bench throughput`: SharpLM's GPT in plain PyTorch, timed the same way.

Same architecture and step as the C# benchmark (src/SharpLM/Model/Gpt.cs, Training/StepRunner.cs): token embedding,
blocks of RMSNorm -> attention (q/k/v/o without bias, per-head RMSNorm on q and k, rotary positions, causal softmax)
-> residual, RMSNorm -> ReLU^2 MLP (4x width) -> residual, final RMSNorm, untied head; cross-entropy; AdamW
(beta 0.9/0.95, weight decay 0.1 on matmul weights only) after clipping the gradient norm to 1.0. fp32.
Torch 1.13 (Debian 12) has no scaled_dot_product_attention, so attention is written out as nanoGPT does without it.

    python3 bench/torch_gpt.py --threads 2 --steps 10
Prints human lines and one `summary {json}` line that `SharpLM.Bench vs-torch` reads.
"""
import argparse, json, math, os, resource, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, size, eps=1e-5):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(size)), eps

    def forward(self, x):
        return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads, self.d = heads, c // heads
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(c, c, bias=False) for _ in range(4))
        self.q_norm, self.k_norm = RMSNorm(self.d), RMSNorm(self.d)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        q, k, v = (p(x).view(B, T, self.heads, self.d).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        q, k = self.q_norm(q), self.k_norm(k)
        q, k = (t * cos + t.roll(self.d // 2, -1) * sin for t in (q, k))  # rotary, as Rotary.Apply
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.d)
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        return self.o_proj((att @ v).transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(c), RMSNorm(c)
        self.self_attn = Attention(c, heads)
        self.up_proj, self.down_proj = nn.Linear(c, 4 * c, bias=False), nn.Linear(4 * c, c, bias=False)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.down_proj(F.relu(self.up_proj(self.post_attention_layernorm(x))).square())


class GPT(nn.Module):
    def __init__(self, vocab, context, depth, width, heads):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, width)
        self.layers = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm, self.lm_head = RMSNorm(width), nn.Linear(width, vocab, bias=False)
        d = width // heads
        angles = torch.outer(torch.arange(context, dtype=torch.float64),
                             10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d))
        self.cos = torch.cat([angles.cos(), angles.cos()], -1).float()
        self.sin = torch.cat([-angles.sin(), angles.sin()], -1).float()
        for name, p in self.named_parameters():  # GPT-2 initialisation, as Gpt.InitWeights
            if name.endswith("norm.weight"): nn.init.ones_(p)
            elif name.endswith(("o_proj.weight", "down_proj.weight")): nn.init.normal_(p, 0, 0.02 / math.sqrt(2 * depth))
            else: nn.init.normal_(p, 0, 0.02)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.embed_tokens(idx)
        for layer in self.layers:
            x = layer(x, self.cos[:T], self.sin[:T])
        logits = self.lm_head(self.norm(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data/pretrain/en/tinyshakespeare.txt"))
    a = ap.parse_args()
    B, T, V, depth, width, heads, warmup = 16, 256, 4096, 4, 256, 4, 3
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    text = open(a.data, encoding="utf-8").read()
    chars = sorted(set(text))
    data = torch.tensor([chars.index(ch) for ch in text[:200_000]], dtype=torch.long)  # ids < 4,096, as the C# bench
    model = GPT(V, T, depth, width, heads)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n and "norm" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n and "norm" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    gen = torch.Generator().manual_seed(1337)

    def batch():
        ix = torch.randint(len(data) - T - 1, (B,), generator=gen)
        w = torch.stack([data[i:i + T + 1] for i in ix])
        return w[:, :-1], w[:, 1:]

    def step():
        x, y = batch()
        loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    def rss_mb():
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1000

    start_rss = rss_mb()
    for _ in range(warmup): step()
    times, losses = [], []
    for _ in range(a.steps):
        t0 = time.perf_counter(); losses.append(step()); times.append(time.perf_counter() - t0)

    def fastest_ms(fn):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t0)
            opt.zero_grad(set_to_none=True)
        return 1000 * best

    x, y = batch()
    fwd = fastest_ms(lambda: model(x, y))
    fwd_bwd = fastest_ms(lambda: model(x, y).backward())
    whole = fastest_ms(step)
    tok_s, fastest = a.steps * B * T / sum(times), B * T / min(times)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000  # kB on Linux
    print(f"torch {torch.__version__} fp32: {tok_s:,.0f} tok/s, fastest step {fastest:,.0f} tok/s, peak RSS {rss_mb:,.0f} MB, "
          f"loss {sum(losses[-5:]) / 5:.4f} (mean of last 5), {a.threads} thread(s)")
    print(f"  RSS {start_rss:,.0f} MB before the first step")
    print(f"  fastest step {whole:.0f} ms: forward {fwd:.0f} ms, backward {fwd_bwd - fwd:.0f} ms, "
          f"clip+AdamW+zero_grad {whole - fwd_bwd:.0f} ms")
    print("summary " + json.dumps({"tok_s": tok_s, "fastest_tok_s": fastest, "peak_rss_mb": rss_mb,
                                   "forward_ms": fwd, "backward_ms": fwd_bwd - fwd, "optimizer_ms": whole - fwd_bwd,
                                   "rss_before_steps_mb": start_rss}))


if __name__ == "__main__":
    main()
