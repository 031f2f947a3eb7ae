// Defaults of the baseline worker thread shared by the server side (baseline-thread.ts) without loading the worker.

/**
 * Nice steps of the profiling thread below the server's: profiling can lag (ingest backpressure bounds how far), alerts
 * cannot, so on busy cores the request thread and the detection worker are scheduled first (about 3 to 1 at 5 steps).
 */
export const PROFILING_NICE_STEPS = 5;
