// Defaults of the baseline worker thread shared by the server side (baseline-thread.ts) without loading the worker.

/**
 * Nice steps of the profiling thread below the server's other threads. Profiling can lag (ingest backpressure bounds
 * how far) and alerts cannot, but on 2 cores 5 steps changed neither alert latency nor throughput measurably (A/B in
 * docs/benchmarks.md, 2026-12-05) and made ingest wait on the profiling backlog, so the default leaves it level.
 */
export const PROFILING_NICE_STEPS = 0;
