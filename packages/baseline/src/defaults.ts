// The profilers Vigil runs, in one plain list (the wiring of this package). Add a profiler here and in docs/anomaly.md.
// The learned command-line model is listed but disabled by default: see docs/anomaly.md for the evaluation.

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

/** Profilers that learn but do not report unless an operator enables them. */
export const disabledByDefault: readonly string[] = [COMMAND_MODEL];
