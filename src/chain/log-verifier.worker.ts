/// <reference lib="webworker" />
// Web Worker verifying the owner's signed chain log off the page's main thread (see
// createLogVerifierWorker): every signature check and every epoch's exact Yuma run happen here.
import * as Comlink from 'comlink'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { runEpoch } from '../scoring/yuma/epoch.ts'
import type { EpochInput } from '../scoring/yuma/types.ts'
import type { LocalEpochInput } from './local-chain.ts'
import { LogError } from './log.ts'
import { LogVerifier, type LogVerifierEndpoint } from './log-verifier.ts'

// sr25519 through wasm-crypto (several times faster than the pure-JS fallback).
const ready = cryptoWaitReady()
let verifier: LogVerifier | null = null

const endpoint: LogVerifierEndpoint = {
  async start(options) {
    await ready
    verifier = new LogVerifier((input: LocalEpochInput) => runEpoch(input as EpochInput, { mode: 'exact' }), options)
  },
  push(text) {
    if (verifier === null) throw new LogError('the log verifier was not started', { code: 'not_started' })
    return verifier.push(text)
  },
}

Comlink.expose(endpoint)
