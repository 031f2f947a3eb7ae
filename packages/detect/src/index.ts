export * from './core.js';
export * from './sigma/index.js';
