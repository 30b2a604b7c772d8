/**
 * Fresh, unpredictable inputs for a query, drawn from a nonce the validator makes with its own
 * randomness: words of the BIP-39 English list (2048 words, shipped with @polkadot/util-crypto),
 * 11 bits of a SHA-256 stream over the nonce per word. Eight words are 88 bits, so no table of
 * answers can be computed in advance; anyone holding the nonce can re-derive the words.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import english from '@polkadot/util-crypto/mnemonic/wordlists/en'

const WORDS: readonly string[] = english

/** Bytes of the nonce a query carries. */
export const NONCE_BYTES = 32

/** A fresh nonce from the platform's CSPRNG (WebCrypto in pages, workers and Node). */
export function freshNonce(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
}

/** An endless bit stream: SHA-256(nonce ‖ label ‖ counter) blocks. */
class BitStream {
  private block = new Uint8Array(0)
  private bit = 0
  private counter = 0
  constructor(
    private readonly nonce: Uint8Array,
    private readonly label: string,
  ) {}
  take(bits: number): number {
    let v = 0
    for (let i = 0; i < bits; i++) {
      if (this.bit >= this.block.length * 8) this.refill()
      const byte = this.block[this.bit >> 3]!
      v = (v << 1) | ((byte >> (7 - (this.bit & 7))) & 1)
      this.bit++
    }
    return v >>> 0
  }
  private refill(): void {
    const label = new TextEncoder().encode(this.label)
    const input = new Uint8Array(this.nonce.length + label.length + 4)
    input.set(this.nonce)
    input.set(label, this.nonce.length)
    new DataView(input.buffer).setUint32(this.nonce.length + label.length, this.counter++)
    this.block = sha256(input)
    this.bit = 0
  }
}

/**
 * `count` words drawn from the nonce under `label` (different labels give independent draws).
 * @example wordsFromNonce(nonce, 8, 'prompt').join(' ') // "orbit canal ... velvet"
 */
export function wordsFromNonce(nonce: Uint8Array, count: number, label: string): string[] {
  const bits = new BitStream(nonce, label)
  return Array.from({ length: count }, () => WORDS[bits.take(11)]!)
}

/** A u32 drawn from the nonce under `label`: a sampling seed, say. */
export function u32FromNonce(nonce: Uint8Array, label: string): number {
  return new BitStream(nonce, label).take(32)
}
