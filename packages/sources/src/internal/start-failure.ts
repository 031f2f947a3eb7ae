// How a source reports a start that failed part-way: the cause, plus whatever undoing the partial start could not undo.
// Never throws itself; the caller throws what it returns.

import { VigilError } from '@vigil/common';

/** Waits for `cleanup` (the source's shutdown) and returns `error` wrapped as `what`, with a cleanup failure as a detail. */
export async function startFailure(error: unknown, what: string, cleanup: Promise<void>): Promise<VigilError> {
  const failure = VigilError.wrap(error, 'system', what);
  try {
    await cleanup;
  } catch (problem) {
    failure.details.push({ message: `cleanup after the failed start: ${VigilError.wrap(problem).message}` });
  }
  return failure;
}
