export * from './core.js';
export * from './task.js';
export * from './registry.js';
export * from './catalog.js';
