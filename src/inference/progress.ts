/** Turns per-file byte counts into `LoadProgress` events with an overall fraction. */
import type { LoadProgress, ModelIntegrity } from './types.ts'

export class ProgressTracker {
  private readonly files = new Map<string, { loaded: number; total: number }>()
  private lastEmitted = -1
  constructor(
    private readonly onProgress: ((p: LoadProgress) => void) | undefined,
    integrity?: ModelIntegrity,
  ) {
    // With a manifest the overall total is known up front, so `progress` never jumps backwards.
    for (const [file, { size }] of Object.entries(integrity?.files ?? {})) this.files.set(file, { loaded: 0, total: size })
  }

  file(file: string, loaded: number, total: number, status: 'download' | 'load', cached?: 'trusted' | 'rehashed'): void {
    const prev = this.files.get(file)
    this.files.set(file, { loaded, total: Math.max(total, loaded) })
    const progress = this.overall()
    // Throttled (events cross a worker boundary): a file's first and last event, else every 0.5%.
    const edge = prev === undefined || prev.loaded === 0 || loaded >= total
    if (!edge && progress - this.lastEmitted < 0.005) return
    this.lastEmitted = progress
    this.emit({ file, loaded, total: Math.max(total, loaded), progress, status, ...(cached ? { cached } : {}) })
  }

  ready(): void {
    let total = 0
    for (const f of this.files.values()) total += f.total
    this.emit({ file: '', loaded: total, total, progress: 1, status: 'ready' })
  }

  private overall(): number {
    let loaded = 0
    let total = 0
    for (const f of this.files.values()) {
      loaded += f.loaded
      total += f.total
    }
    return total > 0 ? Math.min(1, loaded / total) : 0
  }

  private emit(p: LoadProgress): void {
    try {
      this.onProgress?.(p)
    } catch {
      // A throwing progress listener must not break the load.
    }
  }
}
