"""PyTorch twin of tagfusion's heads (src/ml/heads/components.ts), for bench/train-speed.ts.

Same shapes, batch size and optimiser (Adam); prints one JSON line per head with the seconds
of one training epoch (the second, after a warm-up epoch), like the TF.js side measures.
Run by Debian's python3 with python3-torch: /usr/bin/python3 bench/torch_heads.py N TEXT_DIM IMAGE_DIM CLASSES BATCH THREADS [HEADS]
(HEADS: comma-separated, default all four)
"""
import json
import sys
import time

import torch
from torch import nn

n, text_dim, image_dim, classes, batch, threads = map(int, sys.argv[1:7])
wanted = sys.argv[7].split(',') if len(sys.argv) > 7 else ['vision', 'text', 'fcnn', 'xattn']
torch.set_num_threads(threads)
torch.manual_seed(0)
tokens, att = 80, 64


class XAttn(nn.Module):
    def __init__(self):
        super().__init__()
        groups = image_dim // tokens
        self.q, self.k, self.v = nn.Linear(text_dim, att), nn.Linear(groups, att), nn.Linear(groups, att)
        self.norm = nn.LayerNorm(att)
        self.out = nn.Linear(att + text_dim + image_dim, classes)

    def forward(self, text, image):
        b = image.shape[0]
        tok = image.reshape(b, image_dim // tokens, tokens).transpose(1, 2)
        q = self.q(text).reshape(b, 1, att)
        a = torch.softmax(q @ self.k(tok).transpose(1, 2) / att**0.5, -1) @ self.v(tok)
        h = self.norm(a.reshape(b, att) + q.reshape(b, att))
        return self.out(torch.cat([h, text, image], 1))


heads = {
    'vision': (nn.Linear(image_dim, classes), lambda m, t, i: m(i)),
    'text': (nn.Linear(text_dim, classes), lambda m, t, i: m(t)),
    'fcnn': (nn.Linear(text_dim + image_dim, classes), lambda m, t, i: m(torch.cat([t, i], 1))),
    'xattn': (XAttn(), lambda m, t, i: m(t, i)),
}
text = torch.randn(n, text_dim)
image = torch.randn(n, image_dim)
labels = (torch.rand(n, classes) < 0.15).float()
loss_fn = nn.BCEWithLogitsLoss()
for name, (model, fwd) in heads.items():
    if name not in wanted:
        continue
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds = []
    for epoch in range(2):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad()
            loss = loss_fn(fwd(model, text[idx], image[idx]), labels[idx])
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
    print(json.dumps({'head': name, 'seconds': seconds[-1], 'threads': threads}), flush=True)
