#!/usr/bin/env node
// Finds the libtorch to build against and prints one gyp fragment (called from binding.gyp).
//   LIBTORCH unset      → Debian's libtorch-dev (/usr/include, /usr/lib/x86_64-linux-gnu)
//   LIBTORCH=/path      → an unpacked libtorch (or a PyTorch install's torch/ directory)
//   LIBTORCH=python     → the torch package of `python3` (or $PYTHON)
// Usage: node detect.js include|ldflags|libs|defines
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const what = process.argv[2];
const env = process.env.LIBTORCH ?? '';

// The first of $PYTHON, python3, /usr/bin/python3 that can import torch.
function pyTorch() {
  const code = 'import torch,os;print(os.path.dirname(torch.__file__));print(int(torch.compiled_with_cxx11_abi()))';
  const tried = [];
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    try {
      const out = execFileSync(python, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
      return { root: out[0], abi: out[1] };
    } catch {
      tried.push(python);
    }
  }
  throw new Error(`LIBTORCH=python: none of ${tried.join(', ')} can import torch`);
}

let root = '';
let abi = '1';
if (env === 'python') {
  ({ root, abi } = pyTorch());
} else if (env) {
  root = env;
  if (!existsSync(root)) throw new Error(`LIBTORCH=${root} does not exist`);
  // A plain libtorch zip has no python; ask a matching torch if one is there, else read the ABI
  // flag from the cmake config that ships with it.
  abi = process.env.LIBTORCH_CXX11_ABI ?? guessAbi(root);
}

function guessAbi(dir) {
  try {
    const text = readFileSync(join(dir, 'share/cmake/Torch/TorchConfig.cmake'), 'utf8');
    const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(text);
    if (m) return m[1];
  } catch { /* no cmake config: assume the modern ABI */ }
  return '1';
}

// A python torch without include/ (Debian's python3-torch) uses the system headers.
const hasOwn = root && existsSync(join(root, 'include', 'torch'));
const inc = hasOwn
  ? [join(root, 'include'), join(root, 'include', 'torch', 'csrc', 'api', 'include')]
  : ['/usr/include', '/usr/include/torch/csrc/api/include'];
const libdir = hasOwn ? join(root, 'lib') : '/usr/lib/x86_64-linux-gnu';
const have = (name) => {
  try { return readdirSync(libdir).some((f) => f.startsWith(`lib${name}.so`)); } catch { return false; }
};
const cuda = have('torch_cuda') && have('c10_cuda');
// CUDA graphs (cuda_graph.cc) include ATen's CUDA headers, which need the CUDA runtime's; a
// PyTorch wheel has them in its nvidia-* packages, a toolkit under CUDA_HOME or /usr/local/cuda.
function cudaInclude() {
  const dirs = [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda'].filter(Boolean).map((d) => join(d, 'include'));
  const nvidia = root ? join(root, '..', 'nvidia') : '';
  const sub = (d) => { try { return readdirSync(d).map((f) => join(d, f)); } catch { return []; } };
  for (const d of sub(nvidia)) dirs.push(join(d, 'include'), ...sub(d).map((e) => join(e, 'include')));
  return dirs.find((d) => existsSync(join(d, 'cuda_runtime_api.h')));
}
const cudaInc = cuda && !process.env.SEGFACE_NO_CUDA_GRAPHS ? cudaInclude() : undefined;
if (cudaInc) inc.push(cudaInc);
const libs = ['-ltorch', '-ltorch_cpu', '-lc10', ...(cuda ? ['-ltorch_cuda', '-lc10_cuda'] : [])];
// Link torch_cuda even though nothing references it directly, so its kernels register.
const ldflags = [`-L${libdir}`, ...(hasOwn ? [`-Wl,-rpath,${libdir}`] : []), '-Wl,--no-as-needed'];

// c10d's Gloo group needs gloo's headers (Debian: libgloo-dev); NCCL's needs nccl.h and a CUDA
// libtorch. Without them the addon still builds, and dist.init names what is missing.
const findHeader = (rel) => [...inc, '/usr/include', '/usr/local/cuda/include'].some((d) => existsSync(join(d, rel)));
const gloo = findHeader('gloo/context.h');
const nccl = cuda && findHeader('nccl.h') && findHeader('torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp');
const dist = [...(gloo ? ['USE_C10D_GLOO=1'] : []), ...(nccl ? ['USE_C10D_NCCL=1', 'SEGFACE_WITH_NCCL=1'] : [])];

const out = {
  include: inc.join(' '),
  ldflags: ldflags.join(' '),
  libs: libs.join(' '),
  defines: [`_GLIBCXX_USE_CXX11_ABI=${abi}`, ...(cuda ? ['SEGFACE_WITH_CUDA=1'] : []), ...(cudaInc ? ['SEGFACE_CUDA_GRAPHS=1'] : []), ...dist].join(' '),
}[what];
if (out === undefined) {
  process.stderr.write(`detect.js: unknown query ${what}\n`);
  process.exit(2);
}
process.stdout.write(out + '\n');
