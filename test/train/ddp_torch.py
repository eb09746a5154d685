"""Real PyTorch DDP on the same steps as a `segface train` run (test/train/ddp.test.ts).

Run under torchrun (Gloo, CPU). The model is bench/reference.py's SegFace (torchvision backbone +
our head with the official key names); the weights and each rank's batches are files the test
wrote from the same seed and sampler as the TypeScript run. As train.py: DDP with
find_unused_parameters=True and broadcast_buffers=False, AdamW, 0.5 CE + 0.5 Dice. Rank 0 writes
every state-dict entry, under the official key names, as <out>/<key>.npy.
"""
import argparse, os, sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
import reference  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--weights', required=True)
ap.add_argument('--batches', required=True)
ap.add_argument('--steps', type=int, required=True)
ap.add_argument('--out', required=True)
ap.add_argument('--lr', type=float, default=1e-4)
ap.add_argument('--weight_decay', type=float, default=1e-5)
a = ap.parse_args()

torch.set_num_threads(1)
dist.init_process_group('gloo')
rank = dist.get_rank()
model = reference.build('mobilenet', a.weights, channels_last=True).train()
ddp = DDP(model, find_unused_parameters=True, broadcast_buffers=False)
opt = torch.optim.AdamW(ddp.parameters(), lr=a.lr, weight_decay=a.weight_decay)
for s in range(a.steps):
    x = torch.from_numpy(np.load(os.path.join(a.batches, f'r{rank}_s{s}_x.npy'))).contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(np.load(os.path.join(a.batches, f'r{rank}_s{s}_y.npy'))).long()
    opt.zero_grad(set_to_none=True)
    z = ddp(x)
    loss = 0.5 * F.cross_entropy(z, y) + 0.5 * reference.dice(z, y)
    loss.backward()
    opt.step()
if rank == 0:
    sd = torch.load(a.weights, weights_only=True)
    tokens = [k for k in sd if k.startswith('face_decoder.') and k.endswith('_token.weight')]
    os.makedirs(a.out, exist_ok=True)
    for k, v in model.state_dict().items():
        if k.startswith('backbone.net.'):
            k = 'backbone.' + k[len('backbone.net.'):]
        elif k.startswith('face_decoder.tok') and k.endswith('_token.weight'):
            k = tokens[int(k[len('face_decoder.tok'):-len('_token.weight')])]
        np.save(os.path.join(a.out, k + '.npy'), v.detach().contiguous().numpy())
dist.barrier()
dist.destroy_process_group()
