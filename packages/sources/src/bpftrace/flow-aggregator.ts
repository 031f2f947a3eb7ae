// Folds repeated identical flows into one: the first sighting opens a window, repeats within it only count, and the
// flow is emitted once when its window ends. Never drops a flow: at capacity the oldest open flow is emitted early.

export interface Flow<S> {
  readonly key: string;
  /** What the caller keeps per flow (the event being built, outcome counters). */
  readonly state: S;
  count: number;
  firstMs: number;
  lastMs: number;
}

export interface FlowAggregatorOptions<S> {
  /** How long a flow stays open after its first sighting, in ms. */
  windowMs: number;
  /** Most open flows; one more emits the oldest early (default 10000). */
  maxOpen?: number;
  emit(flow: Flow<S>): void;
}

export interface FlowAggregator<S> {
  /** Counts one sighting of `key` at `atMs`; `create` makes the state of a new flow. Returns the flow. */
  add(key: string, atMs: number, create: () => S): Flow<S>;
  /** The open flow of `key`, if any. */
  get(key: string): Flow<S> | undefined;
  /** Emits every flow whose window ended at `nowMs`; returns how many. */
  flushDue(nowMs: number): number;
  /** Emits every open flow (on stop). */
  flushAll(): number;
  stats(): { open: number; flows: number; sightings: number; early: number };
}

export function createFlowAggregator<S>(options: FlowAggregatorOptions<S>): FlowAggregator<S> {
  if (!(options.windowMs >= 0)) throw new RangeError('windowMs must be 0 or more');
  const maxOpen = Math.max(1, options.maxOpen ?? 10000);
  /** Open flows in order of their first sighting, which is also the order their windows end. */
  const open = new Map<string, Flow<S>>();
  const counts = { flows: 0, sightings: 0, early: 0 };

  const close = (flow: Flow<S>) => {
    open.delete(flow.key);
    counts.flows++;
    options.emit(flow);
  };

  return {
    add(key, atMs, create) {
      counts.sightings++;
      const known = open.get(key);
      if (known) {
        known.count++;
        if (atMs > known.lastMs) known.lastMs = atMs;
        if (atMs < known.firstMs) known.firstMs = atMs;
        return known;
      }
      if (open.size >= maxOpen) {
        const oldest = open.values().next();
        if (!oldest.done) {
          counts.early++;
          close(oldest.value);
        }
      }
      const flow: Flow<S> = { key, state: create(), count: 1, firstMs: atMs, lastMs: atMs };
      open.set(key, flow);
      return flow;
    },
    get: (key) => open.get(key),
    flushDue(nowMs) {
      let emitted = 0;
      // A flow whose first sighting moved earlier may end before flows opened before it; windows are short, so
      // emitting in opening order (at most one window late) keeps this a scan of the due prefix.
      for (const flow of open.values()) {
        if (flow.firstMs + options.windowMs > nowMs) break;
        close(flow);
        emitted++;
      }
      return emitted;
    },
    flushAll() {
      let emitted = 0;
      for (const flow of [...open.values()]) {
        close(flow);
        emitted++;
      }
      return emitted;
    },
    stats: () => ({ open: open.size, ...counts }),
  };
}
