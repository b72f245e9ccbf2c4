#!/usr/bin/env python3
"""PyTorch CPU peer of seq2seq-playground's default model, for `benches/compare_torch.sh`.

The identical model and batch: `reverse` over 12 symbols, source lengths 8-12, batch 32;
embedding 32, hidden 64; GRU encoder (padding-aware, via packed sequences) and GRU decoder whose
input is [previous token embedding; context]; Bahdanau additive attention
(v . tanh(W h + U s)) with PAD masked before the softmax; output Linear([s; context]) -> vocab;
masked cross-entropy; Adam (lr 0.005, betas 0.9/0.999, eps 1e-5); gradient clipping by global
norm 1.0; teacher forcing 1.0. Prints one JSON line.

`--model transformer` is the twin of the crate's `bench --model transformer`: the same batch;
d_model 64, 2 layers each side, 4 heads, feed-forward 128 with GELU, dropout 0; pre-LN with a
final layer norm on each stack; embeddings N(0, 1/d_model) scaled by sqrt(d_model) plus the
fixed sinusoids; source padding masked in encoder self- and cross-attention, causal plus target
padding in decoder self-attention; an untied output Linear; Xavier-uniform linear weights;
the same optimiser and clipping. PyTorch's attention runs with `need_weights=False` (its fused
kernel, PyTorch at its fastest); the crate's returns every head's weights for the plots.

`--count-kernels` runs the timed steps under `torch.profiler` and adds the GPU kernels launched
per step (`kernels_per_step`, CUDA kernel events; memory copies and sets apart, in
`copies_per_step`), the figure `bench --count-launches` gives for the crate. On the CPU there are
no kernels: it gives the ATen operators per step not called by another
(`outermost_aten_ops_per_step`), a different measure, not to be set beside launches.
"""
import math
import argparse
import json
import random
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, BOS, EOS = 0, 1, 2
SYMBOLS = 12
VOCAB = 4 + SYMBOLS


class Seq2Seq(nn.Module):
    def __init__(self, emb=32, hidden=64):
        super().__init__()
        self.src_embedding = nn.Embedding(VOCAB, emb)
        self.encoder = nn.GRU(emb, hidden, batch_first=True)
        self.tgt_embedding = nn.Embedding(VOCAB, emb)
        self.decoder = nn.GRUCell(emb + hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.query = nn.Linear(hidden, hidden, bias=False)
        self.score = nn.Linear(hidden, 1, bias=False)
        self.output = nn.Linear(2 * hidden, VOCAB)

    def forward(self, src, src_lens, src_mask, tgt_in):
        packed = pack_padded_sequence(
            self.src_embedding(src), src_lens, batch_first=True, enforce_sorted=False
        )
        states, final = self.encoder(packed)
        states, _ = pad_packed_sequence(states, batch_first=True, total_length=src.shape[1])
        state = final[0]  # [batch, hidden]
        keys = self.key(states)  # [batch, src, hidden]
        bias = (src_mask - 1.0) * 1e9
        embedded = self.tgt_embedding(tgt_in)  # [batch, tgt, emb]
        tops, contexts = [], []
        for t in range(tgt_in.shape[1]):
            energy = torch.tanh(keys + self.query(state).unsqueeze(1))
            weights = torch.softmax(self.score(energy).squeeze(2) + bias, dim=1)
            context = torch.bmm(weights.unsqueeze(1), states).squeeze(1)
            state = self.decoder(torch.cat([embedded[:, t], context], dim=1), state)
            tops.append(state)
            contexts.append(context)
        features = torch.cat([torch.stack(tops, 1), torch.stack(contexts, 1)], dim=2)
        return self.output(features)


def sinusoids(length, d):
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    rate = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    table = torch.zeros(length, d)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)
    return table


class Block(nn.Module):
    """`x + sublayer(norm(x))` around one attention or feed-forward sublayer (pre-LN)."""

    def __init__(self, d, heads, ff, cross=False):
        super().__init__()
        self.self_norm = nn.LayerNorm(d)
        self.self_attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.cross_norm = nn.LayerNorm(d) if cross else None
        self.cross_attention = nn.MultiheadAttention(d, heads, batch_first=True) if cross else None
        self.ff_norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))

    def forward(self, x, pad, memory=None, memory_pad=None, causal=None):
        h = self.self_norm(x)
        x = x + self.self_attention(h, h, h, key_padding_mask=pad, attn_mask=causal, need_weights=False)[0]
        if self.cross_attention is not None:
            h = self.cross_norm(x)
            x = x + self.cross_attention(h, memory, memory, key_padding_mask=memory_pad, need_weights=False)[0]
        return x + self.ff(self.ff_norm(x))


class TransformerSeq2Seq(nn.Module):
    def __init__(self, d=64, heads=4, layers=2, ff=128, max_len=256):
        super().__init__()
        self.d = d
        self.src_embedding = nn.Embedding(VOCAB, d)
        self.tgt_embedding = nn.Embedding(VOCAB, d)
        for embedding in (self.src_embedding, self.tgt_embedding):
            nn.init.normal_(embedding.weight, 0.0, d ** -0.5)
        self.register_buffer("positions", sinusoids(max_len, d))
        self.encoder = nn.ModuleList(Block(d, heads, ff) for _ in range(layers))
        self.decoder = nn.ModuleList(Block(d, heads, ff, cross=True) for _ in range(layers))
        self.encoder_norm = nn.LayerNorm(d)
        self.decoder_norm = nn.LayerNorm(d)
        self.output = nn.Linear(d, VOCAB)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def embed(self, embedding, tokens):
        return embedding(tokens) * math.sqrt(self.d) + self.positions[: tokens.shape[1]]

    def forward(self, src, src_lens, src_mask, tgt_in):
        src_pad = src == PAD
        x = self.embed(self.src_embedding, src)
        for layer in self.encoder:
            x = layer(x, src_pad)
        memory = self.encoder_norm(x)
        t = tgt_in.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=src.device).triu(1)
        # A target PAD key is masked too; every query keeps its own (real or BOS) first column.
        y = self.embed(self.tgt_embedding, tgt_in)
        tgt_pad = tgt_in == PAD
        for layer in self.decoder:
            y = layer(y, tgt_pad, memory, src_pad, causal)
        return self.output(self.decoder_norm(y))


def batch(rng, size=32, lo=8, hi=12, device="cpu"):
    sources = [[4 + rng.randrange(SYMBOLS) for _ in range(rng.randint(lo, hi))] for _ in range(size)]
    s_len = max(map(len, sources))
    t_len = s_len + 1
    src = torch.full((size, s_len), PAD, dtype=torch.long)
    tgt_in = torch.full((size, t_len), PAD, dtype=torch.long)
    tgt_out = torch.full((size, t_len), PAD, dtype=torch.long)
    for i, s in enumerate(sources):
        target = s[::-1]
        src[i, : len(s)] = torch.tensor(s)
        tgt_in[i, : len(s) + 1] = torch.tensor([BOS] + target)
        tgt_out[i, : len(s) + 1] = torch.tensor(target + [EOS])
    lens = torch.tensor([len(s) for s in sources])
    mask = (src != PAD).float()
    on = lambda t: t.to(device)  # noqa: E731 (lengths stay on the CPU, as packing wants)
    return on(src), lens, on(mask), on(tgt_in), on(tgt_out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's choice)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--model", default="default", choices=["default", "large", "transformer"])
    parser.add_argument("--count-kernels", action="store_true",
                        help="profile the timed steps: GPU kernels launched per step (CUDA)")
    args = parser.parse_args()
    torch.manual_seed(7)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    rng = random.Random(42)
    if args.model == "transformer":
        batch_size = 32
        model = TransformerSeq2Seq().to(args.device)
    else:
        sizes = {"default": (32, 32, 64), "large": (256, 128, 512)}[args.model]
        batch_size, emb, hidden = sizes
        model = Seq2Seq(emb, hidden).to(args.device)
    optim = torch.optim.Adam(model.parameters(), lr=0.005, betas=(0.9, 0.999), eps=1e-5)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)

    def step():
        src, lens, mask, tgt_in, tgt_out = batch(rng, batch_size, device=args.device)
        logits = model(src, lens, mask, tgt_in)
        loss = loss_fn(logits.reshape(-1, VOCAB), tgt_out.reshape(-1))
        optim.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        # One read back per step, as the crate's bench: the target tokens (each source's reversal
        # plus EOS) are counted from the lengths on the host, not read from the device.
        return loss.item(), int(lens.sum()) + len(lens)

    for _ in range(args.warmup):
        step()

    def timed():
        start = time.perf_counter()
        tokens, loss = 0, float("nan")
        for _ in range(args.steps):
            loss, n = step()
            tokens += n
        return time.perf_counter() - start, tokens, loss

    counts = {}
    if args.count_kernels:
        counts, (seconds, tokens, loss) = profiled(timed, args.device, args.steps)
    else:
        seconds, tokens, loss = timed()
    print(json.dumps({
        "impl": f"PyTorch {torch.__version__} ({args.device})",
        "model": args.model,
        "steps": args.steps,
        "steps_per_second": args.steps / seconds,
        "target_tokens_per_second": tokens / seconds,
        "last_loss": loss,
        "threads": threads,
        **counts,
    }))


def profiled(run, device, steps):
    """Runs `run` under torch.profiler; returns per-step counts and what `run` returned. With the
    profiler on, steps are slower: the steps/s printed beside the counts are not a benchmark."""
    from torch.profiler import ProfilerActivity, profile
    cuda = device.startswith("cuda")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        result = run()
        if cuda:
            torch.cuda.synchronize()
    events = prof.events()
    if cuda:
        on_gpu = [e.name for e in events if e.device_type == torch.autograd.DeviceType.CUDA]
        copies = [n for n in on_gpu if n.startswith(("Memcpy", "Memset"))]
        return {
            "kernels_per_step": (len(on_gpu) - len(copies)) / steps,
            "copies_per_step": len(copies) / steps,
        }, result
    def outermost(e):
        parent = e.cpu_parent
        return e.name.startswith("aten::") and not (parent and parent.name.startswith("aten::"))
    return {"outermost_aten_ops_per_step": sum(map(outermost, events)) / steps}, result


if __name__ == "__main__":
    main()
