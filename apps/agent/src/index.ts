export * from './agent.js';
export * from './enroll.js';
export * from './identity.js';
export { Spool, parseSize } from './spool.js';
