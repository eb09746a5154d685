// Autograd gradients against central finite differences, in float64.
import { test } from 'node:test';
import { fromData, noGrad, TorchOps, tidy, type TorchTensor } from '../../src/engine/torch/index.js';
import { assertClose, genValues, int64 } from './helpers.js';

const ops = new TorchOps();

/**
 * Checks d(sum(f(inputs) · w))/d(input k) for every input k marked differentiable, comparing
 * autograd with (L(x+h) − L(x−h)) / 2h element by element.
 */
function gradCheck(
  name: string,
  shapes: readonly (readonly number[])[],
  f: (xs: TorchTensor[]) => TorchTensor,
  differentiable: readonly boolean[] = shapes.map(() => true),
): void {
  tidy(() => {
    const data = shapes.map((s, k) => genValues(s.reduce((a, b) => a * b, 1), k + 1, 0.7).map((v, i) => v + 0.013 * i));
    const loss = (arrays: Float64Array[], track: boolean): [TorchTensor, TorchTensor[]] => {
      const xs = arrays.map((a, k) => fromData(a, shapes[k]!, 'float64', { requiresGrad: track && differentiable[k] }));
      const y = f(xs);
      const w = fromData(genValues(y.numel, 9, 0.5).map((v, i) => v + 0.01 * i), y.shape, 'float64');
      return [ops.sum(ops.mul(y, w), []), xs];
    };
    const [l, xs] = loss(data, true);
    l.backward();
    const h = 1e-6;
    shapes.forEach((_, k) => {
      if (!differentiable[k]) return;
      const analytic = xs[k]!.grad!.toArray();
      const numeric = noGrad(() =>
        Array.from(data[k]!, (_, i) => {
          const plus = data.map((a) => a.slice());
          const minus = data.map((a) => a.slice());
          plus[k]![i]! += h;
          minus[k]![i]! -= h;
          return tidy(() => (loss(plus, false)[0].item() - loss(minus, false)[0].item()) / (2 * h));
        }),
      );
      assertClose(analytic, numeric, 1e-6, 1e-5, `${name}: d/dinput${k}`);
    });
  });
}

test('conv2d gradients (input, weight, bias; stride, padding, groups)', () => {
  gradCheck('conv2d', [[1, 4, 5, 5], [4, 2, 3, 3], [4]], ([x, w, b]) =>
    ops.conv2d(x!, w!, b!, { stride: 2, padding: 1, groups: 2 }));
});

test('layer_norm gradients (input, weight, bias)', () => {
  gradCheck('layer_norm', [[2, 3, 5], [5], [5]], ([x, w, b]) => ops.layerNorm(x!, [5], w!, b!, 1e-5));
});

test('gelu gradient', () => {
  gradCheck('gelu', [[3, 7]], ([x]) => ops.gelu(ops.mul(x!, 3)));
});

test('softmax gradient', () => {
  gradCheck('softmax', [[2, 3, 4]], ([x]) => ops.softmax(ops.mul(x!, 2), 1));
});

test('cross-entropy gradient (with an ignored target)', () => {
  gradCheck('cross_entropy', [[2, 4, 3]], ([x]) =>
    tidy(() => ops.crossEntropy(ops.mul(x!, 2), int64([0, 3, -100, 1, 2, 2], [2, 3]))));
});
