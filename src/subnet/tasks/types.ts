import type { ModelRunner } from '../../inference/index.ts'
import { WebtensorError } from '../../errors.ts'

/** Why an answer earned what it earned; `ok` is the only reason with quality > 0. */
export type VerdictReason =
  | 'ok'
  | 'malformed' // not the answer shape the task expects
  | 'truncated' // fewer tokens than asked, without an end-of-sequence token
  | 'too_long'
  | 'bad_logprob' // a reported log-probability the validator's model does not give
  | 'wrong_token' // a token the seeded sampler would not have picked
  | 'wrong_vector' // an embedding far from the validator's own

export interface Verdict {
  /** 0..1: how much of the work was verified as done by the pinned model. */
  quality: number
  reason: VerdictReason
  detail: string
}

/** A query input or answer a miner or validator refuses before doing any work. */
export class TaskInputError extends WebtensorError {
  override name = 'TaskInputError'
  constructor(message: string) {
    super(message, { code: 'bad_task_input' })
  }
}

/**
 * One kind of work a subnet pays for: how a validator makes a fresh input, how a miner answers
 * it, and how the validator checks the answer with its own copy of the model. Inputs and answers
 * cross the network as plain JSON-able values; `parseInput` is the miner's door check (shape and
 * cost limits) and `verify` never trusts the answer's shape.
 */
export interface SubnetTask<Input = unknown, Answer = unknown> {
  readonly name: TaskName
  /** Validator: the input for one miner, a pure function of a fresh nonce. */
  makeInput(nonce: Uint8Array): Input
  /** Miner: the input as received, checked against this subnet's limits, or TaskInputError. */
  parseInput(value: unknown): Input
  /** Miner: does the work. */
  answer(runner: ModelRunner, input: Input): Promise<Answer>
  /** Validator: checks an untrusted answer to `input` with its own runner. */
  verify(runner: ModelRunner, input: Input, answer: unknown): Promise<Verdict>
}

export type TaskName = 'text-generation' | 'embedding'

export const verdict = (quality: number, reason: VerdictReason, detail = ''): Verdict => ({ quality, reason, detail })

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
