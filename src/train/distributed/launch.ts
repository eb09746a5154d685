// The built-in launcher: `segface train --nproc_per_node N [--nnodes M --node_rank K]` starts N
// workers on this machine with the environment torchrun would give them (static rendezvous at
// --master_addr:--master_port), prefixes their output with the rank, and when one fails gives
// the others a bounded time to notice (they name the rank that went) before stopping them.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  /** The worker's command line after the node binary (script and its arguments). */
  workerArgs: string[];
  /** After the first failure, how long the others get to exit on their own. */
  graceS?: number;
  env?: NodeJS.ProcessEnv;
}

/** The launcher's own flags, to drop from the command line the workers get. */
export const LAUNCHER_FLAGS = ['--nproc_per_node', '--nnodes', '--node_rank', '--master_addr', '--master_port'];

export function workerArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (LAUNCHER_FLAGS.includes(a)) { i++; continue; }
    if (LAUNCHER_FLAGS.some((f) => a.startsWith(`${f}=`))) continue;
    out.push(a);
  }
  return out;
}

function pipeLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string): void {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (l) => to.write(`${prefix}${l}\n`));
}

/** Runs the workers to the end; resolves to the exit code for the launcher. */
export function launch(o: LaunchOptions): Promise<number> {
  const worldSize = o.nprocPerNode * o.nnodes;
  const grace = (o.graceS ?? 60) * 1000;
  const children: Array<{ rank: number; child: ChildProcess; exited: boolean }> = [];
  return new Promise((resolveCode) => {
    let firstFailure: { rank: number; code: number } | undefined;
    let interrupted = false;
    let left = o.nprocPerNode;
    let killTimer: NodeJS.Timeout | undefined;
    const onTerm = () => { for (const c of children) if (!c.exited) c.child.kill('SIGTERM'); };
    // Ctrl-C reaches the workers directly (same process group); each stops after its step.
    const onInt = () => undefined;
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    const base = { ...(o.env ?? process.env) };
    // As torchrun: N processes each using every core would overload the machine.
    if (base.OMP_NUM_THREADS === undefined && o.nprocPerNode > 1) {
      base.OMP_NUM_THREADS = '1';
      process.stderr.write('segface train: OMP_NUM_THREADS=1 for each worker (as torchrun); set it, or --threads, to tune\n');
    }
    for (let local = 0; local < o.nprocPerNode; local++) {
      const rank = o.nodeRank * o.nprocPerNode + local;
      const env = {
        ...base,
        RANK: String(rank), LOCAL_RANK: String(local), WORLD_SIZE: String(worldSize), LOCAL_WORLD_SIZE: String(o.nprocPerNode),
        GROUP_RANK: String(o.nodeRank), MASTER_ADDR: o.masterAddr, MASTER_PORT: String(o.masterPort),
      };
      const child = spawn(process.execPath, [...process.execArgv, ...o.workerArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const entry = { rank, child, exited: false };
      children.push(entry);
      const prefix = worldSize > 1 ? `[rank ${rank}] ` : '';
      pipeLines(child.stdout!, process.stdout, prefix);
      pipeLines(child.stderr!, process.stderr, prefix);
      child.on('exit', (code, signal) => {
        entry.exited = true;
        left--;
        // 130: stopped by Ctrl-C after saving (every rank stops at the same step), not a failure.
        if (code === 130) interrupted = true;
        const failed = code !== 0 && code !== 130;
        if (failed && !firstFailure) {
          firstFailure = { rank, code: code ?? 1 };
          process.stderr.write(`segface train: rank ${rank} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; the other ranks get ${grace / 1000} s to stop\n`);
          killTimer = setTimeout(() => {
            for (const c of children) if (!c.exited) c.child.kill('SIGKILL');
          }, grace);
        }
        if (left === 0) {
          if (killTimer) clearTimeout(killTimer);
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          resolveCode(firstFailure ? (firstFailure.code || 1) : interrupted ? 130 : 0);
        }
      });
    }
  });
}
