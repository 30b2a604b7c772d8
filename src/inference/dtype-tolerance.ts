/**
 * How far apart honest peers' outputs can be, per weight format. Every peer of a subnet runs the
 * manifest's `model.dtype`, but on different backends (onnxruntime-node, Chromium WASM, WebGPU):
 * a validator scoring a miner's answer sees that gap, so a text-generation subnet's
 * `task.logprobTolerance` and `task.choiceTolerance` must be at least the values here for its
 * dtype (parseManifest refuses less). Measured on the seeded test GPT-2, 3 prompts × 20 greedy
 * and 3 × 20 seeded sampled tokens, Node against a Chromium WASM worker (`runner.browser.test.ts`
 * asserts the figures stay within these values and prints them); see docs/protocol.md, "Tolerances".
 */
import type { ModelDtype } from './types.ts'

/** The least `task.logprobTolerance` for a subnet of each dtype: the measured cross-backend gap with margin. */
export const MIN_LOGPROB_TOLERANCE: Readonly<Record<ModelDtype, number>> = {
  // Gap < 1e-3 (the tests' bound); 1e-2 leaves room for other hardware.
  fp32: 1e-2,
  // Gap 6.2e-3 greedy, 7.4e-3 sampled. The logits leave the graph as float16: a backend that
  // rounds one sum differently moves a logit by a float16 step, 7.8e-3 for |logit| in [8, 16) (the
  // test model's), 3.1e-2 in [32, 64) (a real model's may be there). A KV-cached decode and one
  // full pass on one backend differ the same way.
  fp16: 5e-2,
  // Gap 5.7e-2 to 6.8e-2 greedy, 0.104 sampled (less likely tokens): activations are quantized at
  // run time, and a 1e-4 difference upstream moves some across a quantization step.
  q8: 0.2,
  // Gap 4.4e-6 greedy, 5.3e-6 sampled: weight-only 4 bits, activations and sums stay float32 (the
  // kernels dequantize the blocks), so fp32's tolerance.
  q4: 1e-2,
  // Gap 6.5e-3 greedy, 4.1e-3 sampled (also between a KV-cached decode and one full pass on one
  // backend): float16, as fp16.
  q4f16: 5e-2,
}

/**
 * The least `task.choiceTolerance` for a subnet of each dtype. A validator replaying a miner's
 * seeded sampler accepts a token whose draw lies within this share of the mass of a boundary
 * (greedy: whose logit is within this of the best); a backend's logit gap moves those boundaries.
 * Measured: the least tolerance at which a page validator accepted all 60 of Node's sampled tokens.
 */
export const MIN_CHOICE_TOLERANCE: Readonly<Record<ModelDtype, number>> = {
  // All accepted at 2e-3 (the default subnet's).
  fp32: 2e-3,
  // All accepted at 2e-3; the floor follows the gap (7.4e-3).
  fp16: 1e-2,
  // 3 of 60 rejected at 2e-3, all accepted at 5e-3: 2e-2 for margin.
  q8: 2e-2,
  // All accepted at 2e-3.
  q4: 2e-3,
  // All accepted at 2e-3; the floor follows the gap, as fp16.
  q4f16: 1e-2,
}
