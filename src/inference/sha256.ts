/**
 * SHA-256 in plain JS, for contexts without WebCrypto (`crypto.subtle` exists only in secure
 * contexts: https or localhost — a page served over plain http on a LAN address has none).
 */
const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

/**
 * Incremental SHA-256: `update` with chunks as they arrive (a download, a file read in parts), then
 * `hex()` once. WebCrypto's digest is one-shot, so this is what hashes a stream without holding it.
 */
export class Sha256 {
  private readonly h = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])
  private readonly w = new Uint32Array(64)
  /** Bytes of an unfinished block carried to the next update. */
  private readonly pending = new Uint8Array(64)
  private readonly pendingView = new DataView(this.pending.buffer)
  private pendingLength = 0
  private length = 0
  private done = false

  /** Number of bytes hashed so far. */
  get bytes(): number {
    return this.length
  }

  update(data: Uint8Array): this {
    if (this.done) throw new Error('Sha256: update after hex()')
    this.length += data.length
    let at = 0
    if (this.pendingLength > 0) {
      const take = Math.min(64 - this.pendingLength, data.length)
      this.pending.set(data.subarray(0, take), this.pendingLength)
      this.pendingLength += take
      at = take
      if (this.pendingLength < 64) return this
      this.block(this.pendingView, 0)
      this.pendingLength = 0
    }
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
    for (; at + 64 <= data.length; at += 64) this.block(dv, at)
    this.pending.set(data.subarray(at))
    this.pendingLength = data.length - at
    return this
  }

  /** Lower-case hex digest; the hasher is finished afterwards. */
  hex(): string {
    if (this.done) throw new Error('Sha256: hex() called twice')
    this.done = true
    const rest = this.pendingLength
    // The last partial block, the 0x80 marker and the 64-bit length: one or two blocks.
    const tail = new Uint8Array(((rest + 9 + 63) >> 6) << 6)
    tail.set(this.pending.subarray(0, rest))
    tail[rest] = 0x80
    const bits = this.length * 8
    const tv = new DataView(tail.buffer)
    tv.setUint32(tail.length - 8, Math.floor(bits / 0x100000000))
    tv.setUint32(tail.length - 4, bits >>> 0)
    for (let off = 0; off < tail.length; off += 64) this.block(tv, off)
    return Array.from(this.h, (x) => x.toString(16).padStart(8, '0')).join('')
  }

  private block(view: DataView, off: number): void {
    const { h, w } = this
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4)
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]
      const b = w[i - 2]
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0
    }
    let [A, B, C, D, E, F, G, H] = h
    for (let i = 0; i < 64; i++) {
      const S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7))
      const t1 = (H + S1 + ((E & F) ^ (~E & G)) + K[i] + w[i]) | 0
      const S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10))
      const t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) | 0
      H = G
      G = F
      F = E
      E = (D + t1) | 0
      D = C
      C = B
      B = A
      A = (t1 + t2) | 0
    }
    h[0] += A
    h[1] += B
    h[2] += C
    h[3] += D
    h[4] += E
    h[5] += F
    h[6] += G
    h[7] += H
  }
}

/** Lower-case hex SHA-256 of `data`. */
export function sha256HexJs(data: Uint8Array): string {
  return new Sha256().update(data).hex()
}
