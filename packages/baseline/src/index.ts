// @vigil/baseline: behaviour profiles per host and fleet, anomaly findings with explanations, host roles.
export * from './core.js';
export * from './engine.js';
export * from './defaults.js';
export * from './template/command-template.js';
export * from './cluster/roles.js';
export { CharNgramModel } from './model/char-ngram.js';
export { createParentChildProfiler, PARENT_CHILD } from './parent-child/parent-child.js';
export { createCommandLineProfiler, COMMAND_LINE, argvOf } from './command-line/command-line.js';
export { createOutboundProfiler, OUTBOUND } from './outbound/outbound.js';
export { createListeningProfiler, LISTENING } from './listening/listening.js';
export { createLoginsProfiler, LOGINS } from './logins/logins.js';
export { createWriteExecProfiler, WRITE_EXEC } from './write-exec/write-exec.js';
export { createPersistenceProfiler, PERSISTENCE } from './persistence/persistence.js';
export { createPrevalenceProfiler, PREVALENCE } from './prevalence/prevalence.js';
export { createCommandModelProfiler, COMMAND_MODEL } from './model/command-model.js';
export * from './describe.js';
