// A mixed-precision plan, one notion for both engines: the module prefixes (state-dict style,
// 'backbone.4.') whose weights stay float32 while the rest of the model runs in half precision.
// Nothing else is needed from the model: each engine's layers compute in their weights' dtype
// (their input is cast to it), and two float dtypes meet in float32 — as autocast would.

/** Module prefixes kept float32, e.g. ['backbone.0.', 'face_decoder.']; empty: all in half precision. */
export type Float32Modules = readonly string[];

/** Whether a state-dict key (or a module prefix) falls under one of the plan's prefixes. */
export function inFloat32Modules(key: string, plan: Float32Modules | undefined): boolean {
  return plan?.some((p) => key.startsWith(p)) ?? false;
}
