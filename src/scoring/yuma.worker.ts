/// <reference lib="webworker" />
// Web Worker running Yuma epochs off the page's main thread (see createYumaWorker).
import * as Comlink from 'comlink'
import { runEpoch } from './yuma/epoch.ts'
import { epochDigest } from './yuma/digest.ts'
import { packOutput, type YumaWorkerEndpoint } from './yuma-worker-protocol.ts'

const endpoint: YumaWorkerEndpoint = {
  runEpochPacked(input, options) {
    const packed = packOutput(runEpoch(input, options))
    return Comlink.transfer(packed, [packed.packed.buffer])
  },
  epochDigest,
}

Comlink.expose(endpoint)
