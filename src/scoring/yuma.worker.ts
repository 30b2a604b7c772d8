/// <reference lib="webworker" />
// Web Worker running Yuma epochs off the page's main thread (see createYumaWorker).
import * as Comlink from 'comlink'
import { runEpoch } from './yuma/epoch.ts'
import { epochDigest } from './yuma/digest.ts'
import { packOutput, unpackInput, type YumaWorkerEndpoint } from './yuma-worker-protocol.ts'

const endpoint: YumaWorkerEndpoint = {
  runEpochPacked(input, options) {
    // runEpoch validates the unpacked input, which is the caller's value, so errors name the same field.
    const { message, transfer } = packOutput(runEpoch(unpackInput(input), options))
    return Comlink.transfer(message, transfer)
  },
  epochDigest,
}

Comlink.expose(endpoint)
