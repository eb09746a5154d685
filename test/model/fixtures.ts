// Where the shared parity fixtures live (never copied into the repo).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(process.cwd(), '..', 'shared', 'fixtures');
export const fixture = (name: string): string => join(FIXTURES, name);

/** The CNN fixtures this area owns (Swin ones are covered by test/model-swin). */
export const CNN_FIXTURES = [
  ['mobilenet_seed0_512', 'mobilenet'],
  ['mobilenet_hash_256', 'mobilenet'],
  ['efficientnet_hash_512', 'efficientnet'],
  ['resnet_hash_512', 'resnet'],
  ['convnext_tiny_hash_256', 'convnext_tiny'],
] as const;

export function requireFixtures(): void {
  if (!existsSync(FIXTURES)) throw new Error(`fixtures not found at ${FIXTURES} (run tests from the repo root)`);
}
