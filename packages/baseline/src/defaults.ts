// The profilers Vigil runs, in one plain list (the wiring of this package). Add a profiler here and in docs/anomaly.md.
// The learned command-line model ships enabled because the benchmark's rule for it passed, narrowly (docs/anomaly.md,
// "The learned model").

import type { Profiler } from './core.js';
import { createCommandLineProfiler } from './command-line/command-line.js';
import { createListeningProfiler } from './listening/listening.js';
import { createLoginsProfiler } from './logins/logins.js';
import { createCommandModelProfiler, COMMAND_MODEL } from './model/command-model.js';
import { createOutboundProfiler } from './outbound/outbound.js';
import { createParentChildProfiler } from './parent-child/parent-child.js';
import { createPersistenceProfiler } from './persistence/persistence.js';
import { createPrevalenceProfiler } from './prevalence/prevalence.js';
import { createWriteExecProfiler } from './write-exec/write-exec.js';

export function defaultProfilers(): Profiler[] {
  return [
    createParentChildProfiler(),
    createCommandLineProfiler(),
    createOutboundProfiler(),
    createListeningProfiler(),
    createLoginsProfiler(),
    createWriteExecProfiler(),
    createPersistenceProfiler(),
    createPrevalenceProfiler(),
    createCommandModelProfiler(),
  ];
}

/**
 * Profilers that learn but do not report unless an operator enables them. `npm run bench -- anomaly` decides the
 * command model's place: it ships enabled only if it catches more of what rules miss than the plain profilers do at
 * equal false positives per host-day (docs/anomaly.md, "The learned model").
 */
export const disabledByDefault: readonly string[] = [];

/** The learned model's name, for operators who disable it (`PUT /api/v1/baseline/settings {"disabled": [...]}`). */
export const LEARNED_MODEL = COMMAND_MODEL;
