/**
 * How far apart honest peers' log-probabilities can be, per weight format. Every peer of a subnet
 * runs the manifest's `model.dtype`, but on different backends (onnxruntime-node, Chromium WASM,
 * WebGPU): a validator scoring a miner's answer sees that gap, so a text-generation subnet's
 * `task.logprobTolerance` must be at least the value here for its dtype. Measured on the seeded
 * test GPT-2 (3 prompts × 20 greedy tokens, Node against a Chromium WASM worker; see
 * `runner.browser.test.ts`, which asserts the gaps stay within these, and docs/protocol.md).
 */
import type { ModelDtype } from './types.ts'

/** The least `task.logprobTolerance` for a subnet of each dtype: the measured cross-backend gap with margin. */
export const MIN_LOGPROB_TOLERANCE: Readonly<Record<ModelDtype, number>> = {
  // Gap < 1e-3 (the tests' bound); 1e-2 leaves room for other hardware.
  fp32: 1e-2,
  // Gap 0 to 4.5e-3: logits are float16 (a step of 7.8e-3 near 8); a backend that rounds one
  // product differently moves a logit by one step.
  fp16: 3e-2,
  // Gap 5.7e-2 to 6.8e-2: activations are quantized at run time, and a 1e-4 difference upstream
  // moves some across a quantization step.
  q8: 0.15,
  // Weight-only 4-bit: activations stay float32, the gap is fp32-sized.
  q4: 1e-2,
  // q4 on the float16 graph: as fp16.
  q4f16: 3e-2,
}
