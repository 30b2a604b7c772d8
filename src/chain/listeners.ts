/** A set of event handlers: `on` adds one and returns its remover; `emit` calls them all in order. */
export interface Listeners<T> {
  on(handler: (value: T) => void): () => void
  emit(value: T): void
  clear(): void
}

/**
 * The handler set each ChainClient keeps for metagraphs and epochs. A handler that throws is
 * reported to `onError` and does not keep the others from hearing the event.
 * @example const epochs = listeners<EpochResult>((err) => log(String(err))); const off = epochs.on(show); epochs.emit(e); off()
 */
export function listeners<T>(onError: (err: unknown) => void): Listeners<T> {
  const handlers = new Set<(value: T) => void>()
  return {
    on(handler) {
      handlers.add(handler)
      return () => void handlers.delete(handler)
    },
    emit(value) {
      for (const h of [...handlers]) {
        try {
          h(value)
        } catch (err) {
          onError(err)
        }
      }
    },
    clear: () => handlers.clear(),
  }
}
