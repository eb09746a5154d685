// Limits shared by every entry (Node library, CLI, server, browser), free of any codec import.

/** Default limit on decoded pixels: big enough for 100-megapixel photos, small enough to fail fast. */
export const DEFAULT_MAX_PIXELS = 100_000_000;
