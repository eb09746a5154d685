// Debian's Chromium under playwright-core, started as this machine needs it: root (no sandbox),
// no GPU, and none of the background connections a closed network refuses.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Chromium { ctx: BrowserContext; close(): Promise<void> }

/** A fresh profile each launch; `close` ends the browser and removes the profile. */
export async function launchChromium(options: Parameters<typeof chromium.launchPersistentContext>[1] = {}): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup.sh does)`);
  const profile = mkdtempSync(join(tmpdir(), 'segface-chromium-'));
  try {
    const ctx = await chromium.launchPersistentContext(profile, { ...options, executablePath: CHROMIUM, headless: true, args: ARGS });
    return { ctx, close: async () => { await ctx.close(); rmSync(profile, { recursive: true, force: true }); } };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
