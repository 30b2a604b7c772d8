/**
 * How far apart honest peers' log-probabilities can be, per weight format. Every peer of a subnet
 * runs the manifest's `model.dtype`, but on different backends (onnxruntime-node, Chromium WASM,
 * WebGPU): a validator scoring a miner's answer sees that gap, so a text-generation subnet's
 * `task.logprobTolerance` must be at least the value here for its dtype (parseManifest refuses
 * less). Gaps measured on the seeded test GPT-2, 3 prompts × 20 greedy tokens, Node against a
 * Chromium WASM worker (`runner.browser.test.ts` asserts they stay within these values and prints
 * them); see docs/protocol.md, "Tolerances".
 */
import type { ModelDtype } from './types.ts'

/** The least `task.logprobTolerance` for a subnet of each dtype: the measured cross-backend gap with margin. */
export const MIN_LOGPROB_TOLERANCE: Readonly<Record<ModelDtype, number>> = {
  // Gap < 1e-3 (the tests' bound); 1e-2 leaves room for other hardware.
  fp32: 1e-2,
  // Gap 6.2e-3. The logits leave the graph as float16: a backend that rounds one sum differently
  // moves a logit by a float16 step, 7.8e-3 for |logit| in [8, 16) (the test model's), 3.1e-2 in
  // [32, 64) (a real model's may be there). KV-cached decode vs one full pass differ the same way.
  fp16: 5e-2,
  // Gap 5.7e-2 to 6.8e-2: activations are quantized at run time, and a 1e-4 difference upstream
  // moves some across a quantization step.
  q8: 0.15,
  // Gap 4.4e-6: weight-only 4 bits, activations and sums stay float32 (the kernels dequantize
  // the blocks), so fp32's tolerance.
  q4: 1e-2,
  // Gap 6.5e-3 (also between a KV-cached decode and one full pass on one backend): float16 as fp16.
  q4f16: 5e-2,
}
