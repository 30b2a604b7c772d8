/// <reference lib="webworker" />
/** The dedicated worker that holds one model; the page talks to it through comlink. */
import * as Comlink from 'comlink'
import { InferenceRequestError } from './errors.ts'
import type { ModelRunner } from './types.ts'
import { loadModelWeb } from './web/load.ts'
import { settle, type RunnerWorkerApi } from './worker-protocol.ts'

let runner: ModelRunner | null = null
let loadAbort: AbortController | null = null

function current(): ModelRunner {
  if (!runner) throw new InferenceRequestError('no model loaded in this worker')
  return runner
}

const api: RunnerWorkerApi = {
  load: (options, onProgress) =>
    settle(async () => {
      if (runner || loadAbort) throw new InferenceRequestError('this worker already holds a model')
      loadAbort = new AbortController()
      try {
        runner = await loadModelWeb({ ...options, signal: loadAbort.signal, onProgress: onProgress ? (p) => void onProgress(p) : undefined })
      } finally {
        loadAbort = null
      }
      return {
        modelId: runner.modelId,
        device: runner.device,
        deviceReason: runner.deviceReason,
        hasEmbed: runner.embed !== undefined,
        ...(runner.loadTimings ? { loadTimings: runner.loadTimings } : {}),
      }
    }),
  abortLoad: () => loadAbort?.abort(),
  generate: (r) => settle(() => current().generate(r)),
  score: (r) => settle(() => current().score(r)),
  embed: (texts) =>
    settle(() => {
      const m = current()
      if (!m.embed) throw new InferenceRequestError(`${m.modelId} is not an encoder; embed is unavailable`)
      return m.embed(texts)
    }),
  cancel: () => runner?.cancel(),
  dispose: () =>
    settle(async () => {
      await runner?.dispose()
      runner = null
    }),
}

Comlink.expose(api)
