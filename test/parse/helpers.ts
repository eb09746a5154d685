// Shared setup for end-to-end parse tests: the local hub serving the fixture checkpoint, a
// private cache, and running the real `segface` command as a child process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { FIXTURE_CHECKPOINT, REPO_ROOT, startHub, type HubServer } from '../hub/hub-server.js';

export { FIXTURE_CHECKPOINT, REPO_ROOT };
export const ASTRONAUT = join(REPO_ROOT, '.assets', 'astronaut.png');
export const GRACE = join(REPO_ROOT, '.assets', 'grace_hopper.jpg');
export const MODEL_ID = 'mobilenet_celeba_512';

export function startFixtureHub(): Promise<HubServer> {
  return startHub({ [`${MODEL_ID}/model_299.pt`]: new Uint8Array(readFileSync(FIXTURE_CHECKPOINT)) });
}

export interface CliRun { code: number | null; stdout: string; stderr: string }

/** Runs `segface <args>` without blocking this process (the hub server lives here). */
export function segface(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'), ...args], {
      cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Decoded single-channel PNG: values and size. */
export async function readGrey(path: string): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const meta = await sharp(path).metadata();
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: meta.channels! };
}
