"""PyTorch eager CPU reference for the benchmarks (our own script, written for them).

SegFace (spec §1-§6) assembled from torchvision's backbones plus a head written here with the
official state-dict names, so the .pt file the TypeScript side writes loads into both.
Run by bench/*.ts through /usr/bin/python3 (Debian's python3-torch 1.13); each run is its own
process so ru_maxrss is that run's peak. Prints one JSON line.
"""
import argparse, json, math, resource, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

EMBED = 256
TOKENS = {'celeb': 19, 'lapa': 11, 'helen': 11}


class MLP(nn.Module):  # SegFormer tap projection: linear_c.{i}.proj
    def __init__(self, cin):
        super().__init__()
        self.proj = nn.Linear(cin, EMBED)

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.proj(x.flatten(2).transpose(1, 2))
        return y.transpose(1, 2).reshape(b, EMBED, h, w)


class PE(nn.Module):
    def __init__(self, n=128):
        super().__init__()
        self.register_buffer('positional_encoding_gaussian_matrix', torch.randn(2, n))

    def forward(self, h, w):
        m = self.positional_encoding_gaussian_matrix
        g = torch.ones((h, w), dtype=m.dtype, device=m.device)
        y = (g.cumsum(0) - 0.5) / h
        x = (g.cumsum(1) - 0.5) / w
        c = 2 * torch.stack([x, y], dim=-1) - 1
        c = 2 * math.pi * (c @ self.positional_encoding_gaussian_matrix)
        return torch.cat([torch.sin(c), torch.cos(c)], dim=-1).permute(2, 0, 1).unsqueeze(0)


class Attention(nn.Module):
    def __init__(self, d, heads, down=1):
        super().__init__()
        i = d // down
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = nn.Linear(d, i), nn.Linear(d, i), nn.Linear(d, i), nn.Linear(i, d)

    def split(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, q, k, v):
        q, k, v = self.split(self.q_proj(q)), self.split(self.k_proj(k)), self.split(self.v_proj(v))
        a = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(q.shape[-1]), dim=-1)
        o = (a @ v).transpose(1, 2)
        return self.out_proj(o.reshape(o.shape[0], o.shape[1], -1))


class MLPBlock(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(d, m), nn.Linear(m, d)

    def forward(self, x):
        return self.lin2(F.relu(self.lin1(x)))


class Block(nn.Module):
    def __init__(self, d, heads, mlp, down, skip_pe):
        super().__init__()
        self.self_attn = Attention(d, heads)
        self.norm1 = nn.LayerNorm(d)
        self.cross_attn_token_to_image = Attention(d, heads, down)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = MLPBlock(d, mlp)
        self.norm3 = nn.LayerNorm(d)
        self.norm4 = nn.LayerNorm(d)
        self.cross_attn_image_to_token = Attention(d, heads, down)
        self.skip_pe = skip_pe

    def forward(self, queries, keys, qpe, kpe):
        if self.skip_pe:
            queries = self.self_attn(queries, queries, queries)
        else:
            q = queries + qpe
            queries = queries + self.self_attn(q, q, queries)
        queries = self.norm1(queries)
        q, k = queries + qpe, keys + kpe
        queries = self.norm2(queries + self.cross_attn_token_to_image(q, k, keys))
        queries = self.norm3(queries + self.mlp(queries))
        q, k = queries + qpe, keys + kpe
        keys = self.norm4(keys + self.cross_attn_image_to_token(k, q, queries))
        return queries, keys


class TwoWayTransformer(nn.Module):
    def __init__(self, depth=2, d=256, heads=8, mlp=2048, down=2):
        super().__init__()
        self.layers = nn.ModuleList([Block(d, heads, mlp, down, i == 0) for i in range(depth)])
        self.final_attn_token_to_image = Attention(d, heads, down)
        self.norm_final_attn = nn.LayerNorm(d)

    def forward(self, image, pe, tokens):
        keys = image.flatten(2).permute(0, 2, 1)
        kpe = pe.flatten(2).permute(0, 2, 1)
        queries = tokens
        for layer in self.layers:
            queries, keys = layer(queries, keys, tokens, kpe)
        q, k = queries + tokens, keys + kpe
        queries = self.norm_final_attn(queries + self.final_attn_token_to_image(q, k, keys))
        return queries, keys


class LayerNorm2d(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class Hyper(nn.Module):
    def __init__(self, d=256, out=32, depth=3):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(d, out if i == depth - 1 else d) for i in range(depth)])

    def forward(self, x):
        for i, l in enumerate(self.layers):
            x = l(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


class FaceDecoder(nn.Module):
    def __init__(self, n, d=256):
        super().__init__()
        self.n = n
        self.transformer = TwoWayTransformer()
        for i in range(n):  # token names only matter for loading: renamed in load_weights
            self.add_module(f'tok{i}_token', nn.Embedding(1, d))
        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(d, d // 4, 2, 2), LayerNorm2d(d // 4), nn.GELU(),
            nn.ConvTranspose2d(d // 4, d // 8, 2, 2), nn.GELU())
        self.output_hypernetwork_mlps = Hyper(d, d // 8)

    def forward(self, image, pe):
        b, c, h, w = image.shape
        tok = torch.cat([getattr(self, f'tok{i}_token').weight for i in range(self.n)], 0)
        tok = tok.unsqueeze(0).expand(b, -1, -1)
        hs, src = self.transformer(image, pe, tok)
        src = src.transpose(1, 2).reshape(b, c, h, w)
        up = self.output_upscaling(src)
        hyper = self.output_hypernetwork_mlps(hs)
        bu, cu, hu, wu = up.shape
        return (hyper @ up.reshape(bu, cu, hu * wu)).reshape(b, -1, hu, wu)


class Backbone(nn.Module):
    """torchvision features; returns the four stride 4..32 taps as NCHW."""

    def __init__(self, name):
        super().__init__()
        self.name = name
        if name == 'mobilenet':
            self.net = torchvision.models.mobilenet_v3_large().features
            self.taps, self.tap_channels = [3, 6, 12, 16], [24, 40, 112, 960]
        elif name == 'swin_base':
            m = torchvision.models.swin_b()
            self.net = nn.Sequential(m.features, m.norm)  # backbone.0 / backbone.1 (norm unused)
            self.tap_channels = [128, 256, 512, 1024]
        else:
            raise SystemExit(f'reference.py: backbone {name} is not in the reference (mobilenet, swin_base); time ours alone with --no-reference')

    def forward(self, x):
        out = []
        if self.name == 'mobilenet':
            for i, m in enumerate(self.net):
                x = m(x)
                if i in self.taps:
                    out.append(x)
        else:
            for i, m in enumerate(self.net[0]):
                x = m(x)
                if i in (1, 3, 5, 7):
                    out.append(x.permute(0, 3, 1, 2))
        return out


class SegFace(nn.Module):
    def __init__(self, backbone, n):
        super().__init__()
        self.backbone = Backbone(backbone)
        self.pe_layer = PE()
        self.face_decoder = FaceDecoder(n)
        self.linear_c = nn.ModuleList([MLP(c) for c in self.backbone.tap_channels])
        self.linear_fuse = nn.Conv2d(4 * EMBED, EMBED, 1, bias=False)

    def forward(self, x):
        taps = self.backbone(x)
        p = [l(t) for l, t in zip(self.linear_c, taps)]
        h0, w0 = p[0].shape[2:]
        p = [t if i == 0 else F.interpolate(t, size=(h0, w0), mode='bilinear', align_corners=False) for i, t in enumerate(p)]
        fused = self.linear_fuse(torch.cat(p[::-1], 1))
        pe = self.pe_layer(h0, w0)
        return self.face_decoder(fused, pe)


def build(backbone, weights, channels_last=False):
    sd = torch.load(weights, weights_only=True)
    # Official keys: backbone.features... → ours backbone.net...; tokens by position of appearance.
    tokens = [k for k in sd if k.startswith('face_decoder.') and k.endswith('_token.weight')]
    model = SegFace(backbone, len(tokens))
    ren = {}
    for k, v in sd.items():
        if k.startswith('backbone.'):
            k = 'backbone.net.' + k[len('backbone.'):]
        elif k in tokens:
            k = f'face_decoder.tok{tokens.index(k)}_token.weight'
        ren[k] = v
    missing, unexpected = model.load_state_dict(ren, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise SystemExit(f'reference.py: {weights} does not fit {backbone}: missing {missing[:5]} unexpected {unexpected[:5]}')
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def median(xs):
    return sorted(xs)[len(xs) // 2]


def status_mb(field):
    # VmHWM rather than ru_maxrss: Linux carries maxrss over from the parent through fork+exec.
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_mb():
    return status_mb('VmHWM')


def sync(a):
    if a.device == 'cuda':
        torch.cuda.synchronize()


def cmd_infer(a):
    dtype = {'fp32': torch.float32, 'fp16': torch.float16, 'bf16': torch.bfloat16}[a.precision]
    if a.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    model = build(a.model, a.weights, a.channels_last).eval().to(a.device, dtype)
    host = torch.from_numpy(np.load(a.input)) if a.input else torch.randn(a.batch, 3, a.res, a.res)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format

    def prep(x):
        return x.to(a.device, dtype).contiguous(memory_format=fmt)

    x = prep(host)
    # --host-io: each run takes the batch from host memory and brings the logits back, as a
    # parser must (our Segmenter.run does both); otherwise both stay on the device.
    if a.cuda_graph:
        # torch.cuda.graphs' recipe: warm up on a side stream, capture once, replay.
        static_in = x.clone()
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.no_grad(), torch.cuda.stream(s):
            for _ in range(3):
                model(static_in)
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.no_grad(), torch.cuda.graph(graph):
            static_out = model(static_in).float()

        def step():
            static_in.copy_(host if a.host_io else x)
            graph.replay()
            return static_out.cpu() if a.host_io else static_out
    else:
        def step():
            y = model(prep(host) if a.host_io else x).float()
            return y.cpu() if a.host_io else y
    times = []
    with torch.inference_mode() if not a.cuda_graph else torch.no_grad():
        y = step()
        if a.output:
            np.save(a.output, y.float().cpu().numpy())
        for i in range(a.warmup + a.runs):
            sync(a)
            t0 = time.perf_counter()
            step()
            sync(a)
            if i >= a.warmup:
                times.append(time.perf_counter() - t0)
    return {'median_s': median(times), 'runs': len(times), 'peak_mb': peak_mb()}


def dice(logits, labels):
    p = torch.softmax(logits, 1)
    t = F.one_hot(labels, logits.shape[1]).permute(0, 3, 1, 2).float()
    inter = (p * t).sum((0, 2, 3))
    den = (p * p).sum((0, 2, 3)) + t.sum((0, 2, 3)) + 1e-5
    return (1 - (2 * inter + 1e-5) / den).mean()


def cmd_train(a):
    model = build(a.model, a.weights, a.channels_last).train().to(a.device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-5)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(a.batch, 3, a.res, a.res, generator=g).to(a.device)
    if a.channels_last:
        x = x.to(memory_format=torch.channels_last)
    y = torch.randint(0, 19, (a.batch, a.res, a.res), generator=g).to(a.device)
    times, losses = [], []
    for i in range(a.warmup + a.runs):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        z = model(x)
        loss = 0.5 * F.cross_entropy(z, y) + 0.5 * dice(z, y)
        loss.backward()
        opt.step()
        sync(a)
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    return {'median_s': median(times), 'runs': len(times), 'peak_mb': peak_mb(), 'first_loss': losses[0], 'times': times}


def cmd_load(a):
    base = status_mb('VmRSS')
    t0 = time.perf_counter()
    obj = torch.load(a.weights, weights_only=not a.full)
    dt = time.perf_counter() - t0
    n = 0
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, torch.Tensor):
            n += o.numel() * o.element_size()
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
    return {'seconds': dt, 'peak_mb': peak_mb(), 'base_mb': base, 'tensor_mb': n / 2**20}


def cmd_consensus(a):
    """Consensus loss (spec consensus-loss.md §3, idx/idx), one plain masked pass per blob id,
    written from the spec; blob ids = the label map (blob = class mask)."""
    labels = torch.from_numpy(np.load(a.labels).astype(np.int64))  # [N,H,W]
    z0 = torch.from_numpy(np.load(a.input))  # [N,C,H,W]
    n, c = z0.shape[:2]
    alpha, beta = 10.0, 5.0

    def loss_of(z):
        p = torch.softmax(z, 1)
        logp = torch.log(p)
        total = z.new_zeros(())
        ids = torch.unique(labels)
        for k in ids.tolist():
            mk = (labels == k).unsqueeze(1).to(z.dtype)  # [N,1,H,W]
            m = mk.sum((2, 3))  # [N,1]
            valid = (m > 0).to(z.dtype)
            q = (p * mk).sum((2, 3)) / m.clamp(min=1) * valid  # [N,C]
            y = int(k)
            a_k = -(torch.log(q[:, y].clamp(min=1e-30)) * valid[:, 0]).sum() / n
            logq = torch.where(q > 0, torch.log(q.clamp(min=1e-30)), torch.zeros_like(q))
            kl = (q[:, :, None, None] * (logq[:, :, None, None] - logp) * mk).sum()
            d_k = kl / (c * m.sum())
            total = total + alpha * a_k + beta * d_k
        return total / len(ids)

    times, value = [], None
    for i in range(a.warmup + a.runs):
        z = z0.clone().requires_grad_(True)
        t0 = time.perf_counter()
        loss = loss_of(z)
        loss.backward()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
        value = loss.item()
    return {'median_s': median(times), 'runs': len(times), 'peak_mb': peak_mb(), 'loss': value}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['infer', 'train', 'load', 'consensus'])
    ap.add_argument('--model', default='mobilenet')
    ap.add_argument('--weights')
    ap.add_argument('--labels')
    ap.add_argument('--res', type=int, default=512)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--input')
    ap.add_argument('--output')
    ap.add_argument('--channels-last', action='store_true')
    ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    ap.add_argument('--precision', default='fp32', choices=['fp32', 'fp16', 'bf16'], help='infer: model.to(dtype)')
    ap.add_argument('--cuda-graph', action='store_true', help='infer: capture the forward with torch.cuda.graph and replay it')
    ap.add_argument('--cudnn-benchmark', action='store_true', help='infer: torch.backends.cudnn.benchmark = True')
    ap.add_argument('--host-io', action='store_true', help='infer: input from host memory and logits back to it in every run')
    ap.add_argument('--full', action='store_true', help='load: plain torch.load (training checkpoints)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    r = {'infer': cmd_infer, 'train': cmd_train, 'load': cmd_load, 'consensus': cmd_consensus}[a.cmd](a)
    r['torch'] = torch.__version__
    print(json.dumps(r))


if __name__ == '__main__':
    main()
