export * from './errors.js';
export * from './log.js';
export * from './paths.js';
export * from './version.js';
export * from './random.js';
export * from './zip.js';
export * from './progress.js';
export * from './glob.js';
