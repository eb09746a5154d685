# Generates expected-ops.json: reference results of every Ops method computed by PyTorch
# (run with Debian's python3-torch 1.13: /usr/bin/python3 test/engine-torch/make-expected.py).
# Inputs are exact binary fractions made by gen() — ops.test.ts builds the same ones.
import json, os
import torch
import torch.nn.functional as F

def gen(shape, k=0, scale=1.0, dtype=torch.float32):
    n = 1
    for d in shape: n *= d
    vals = [(((i * 37 + k * 11) % 23) - 11) / 8 * scale for i in range(n)]
    return torch.tensor(vals, dtype=torch.float64).reshape(shape).to(dtype)

def idx(vals, shape=None):
    t = torch.tensor(vals, dtype=torch.int64)
    return t.reshape(shape) if shape else t

cases = {}
def case(name, out):
    if isinstance(out, torch.Tensor):
        cases[name] = {'shape': list(out.shape), 'dtype': str(out.dtype).replace('torch.', ''),
                       'values': [float(v) for v in out.detach().double().flatten().tolist()]}
    else:
        raise TypeError(name)

x4 = gen([2, 4, 5, 6])
case('conv2d_basic', F.conv2d(x4, gen([3, 4, 3, 3], 1), gen([3], 2)))
case('conv2d_strided', F.conv2d(x4, gen([6, 2, 3, 3], 3), None, stride=2, padding=1, dilation=1, groups=2))
case('conv2d_dilated', F.conv2d(x4, gen([4, 1, 3, 3], 4), gen([4], 5), stride=(1, 2), padding=2, dilation=2, groups=4))
case('conv_transpose2d', F.conv_transpose2d(gen([1, 4, 3, 3]), gen([4, 3, 2, 2], 6), gen([3], 7), stride=2))
case('conv_transpose2d_opts', F.conv_transpose2d(gen([1, 4, 3, 4]), gen([4, 1, 3, 3], 8), None, stride=2, padding=1, output_padding=1, groups=2))
case('linear', F.linear(gen([2, 3, 5]), gen([4, 5], 1), gen([4], 2)))
case('matmul', torch.matmul(gen([2, 1, 3, 4]), gen([3, 4, 2], 1)))

rm, rv = gen([4], 3), gen([4], 4).abs() + 0.5
nbt = torch.tensor(7)
y = F.batch_norm(x4, rm, rv, gen([4], 5), gen([4], 6), True, 0.1, 1e-3)
nbt += 1
case('batch_norm_train', y); case('batch_norm_train_mean', rm); case('batch_norm_train_var', rv)
case('batch_norm_eval', F.batch_norm(x4, gen([4], 3), gen([4], 4).abs() + 0.5, gen([4], 5), gen([4], 6), False, 0.1, 1e-5))
case('layer_norm', F.layer_norm(gen([2, 3, 6]), [6], gen([6], 1), gen([6], 2), 1e-6))
case('layer_norm_2d', F.layer_norm(gen([2, 3, 4]), [3, 4], None, None, 1e-5))

a = gen([3, 7], 2, 2.5)
case('relu', F.relu(a)); case('gelu', F.gelu(a)); case('silu', F.silu(a)); case('hardswish', F.hardswish(a))
case('hardsigmoid', F.hardsigmoid(a)); case('sigmoid', torch.sigmoid(a)); case('tanh', torch.tanh(a))
case('softmax', F.softmax(a, dim=-1)); case('softmax_dim0', F.softmax(a, dim=0)); case('log_softmax', F.log_softmax(a, dim=1))

case('max_pool2d', F.max_pool2d(x4, 3, 2, 1)); case('max_pool2d_default_stride', F.max_pool2d(x4, 2))
case('adaptive_avg_pool2d', F.adaptive_avg_pool2d(gen([1, 2, 7, 5]), (3, 2)))
case('adaptive_avg_pool2d_1', F.adaptive_avg_pool2d(x4, 1))
case('interp_up', F.interpolate(gen([1, 2, 3, 4]), size=(7, 9), mode='bilinear', align_corners=False))
case('interp_down', F.interpolate(gen([1, 2, 8, 9]), size=(3, 4), mode='bilinear', align_corners=False))

b = gen([3, 1], 5)
case('add', a + b); case('sub', a - b); case('mul', a * b); case('div', a / (b.abs() + 0.5))
case('add_s', a + 2); case('sub_s', a - 0.75); case('mul_s', a * 1.5); case('div_s', a / 4)
case('neg', -a); case('exp', torch.exp(a)); case('log', torch.log(a.abs() + 0.1)); case('sqrt', torch.sqrt(a.abs()))
case('abs', a.abs()); case('sign', a.sign()); case('sin', a.sin()); case('cos', a.cos()); case('pow', a.pow(3)); case('pow_half', a.abs().pow(0.5))
case('clamp', a.clamp(-1, 0.5)); case('clamp_min', a.clamp(min=0)); case('eq', (a == gen([3, 7], 4, 2.5)))
case('eq_s', a == 0.3125 * 2.5 * 2); case('where', torch.where(a > 0, a, b))
case('cast_i64', (a * 3).to(torch.int64)); case('cast_f64', a.to(torch.float64))
case('sum', a.sum(dim=[1])); case('sum_keep', x4.sum(dim=[1, 3], keepdim=True)); case('sum_all', a.sum())
case('mean', x4.mean(dim=[2, 3])); case('mean_keep', a.mean(dim=[0], keepdim=True)); case('argmax', x4.argmax(dim=1))
case('argmax_keep', a.argmax(dim=-1, keepdim=True))
case('reshape', a.reshape(7, -1)); case('permute', x4.permute(0, 2, 3, 1)); case('transpose', x4.transpose(1, 3))
case('slice', x4[:, 1:3]); case('slice_step', x4[..., 1::2]); case('slice_neg', x4[:, :, -3:-1]); case('slice_big', x4[:, :, 2:100])
case('concat', torch.cat([a, gen([3, 2], 9)], dim=1)); case('concat0', torch.cat([a, a * 2], dim=0))
case('pad', F.pad(x4, (1, 2, 0, 1), value=0.5)); case('pad_crop', F.pad(x4, (-1, 1, 1, -2)))
case('roll', torch.roll(x4, shifts=(2, -1), dims=(2, 3)))
case('index_select', torch.index_select(x4, 1, idx([3, 0, 3])))
case('gather', torch.gather(a, 1, idx([0, 6, 2, 1, 1, 1, 5, 4, 3], [3, 3])))
case('expand', b.expand(3, 4)); case('expand_new', gen([1, 3]).expand(2, 2, 3))

logits = gen([2, 5, 3, 2], 3, 2.0)
target = idx([0, 4, 2, 1, -100, 3, 1, 1, 0, 2, 4, 3], [2, 3, 2])
case('cross_entropy', F.cross_entropy(logits, target))
case('cross_entropy_sum', F.cross_entropy(logits, target.clamp(min=0), reduction='sum'))
case('cross_entropy_none_ls', F.cross_entropy(logits, target.clamp(min=0), reduction='none', label_smoothing=0.1))
case('one_hot', F.one_hot(idx([2, 0, 3, 3]), 5))
case('scatter_add', torch.zeros(3, 4).scatter_add(1, idx([0, 1, 1, 3, 2, 2, 0, 0, 3], [3, 3]), gen([3, 3], 1)))
case('index_add', torch.ones(4, 3).index_add(0, idx([1, 3, 1]), gen([3, 3], 2), alpha=2))
torch.manual_seed(123); case('randn_seed123', torch.randn(2, 3)); case('rand_after', torch.rand(4)); case('randint_after', torch.randint(2, 9, (5,)))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'expected-ops.json')
with open(out, 'w') as f:
    json.dump({'generator': 'make-expected.py', 'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
print(len(cases), 'cases ->', out)
