export * from './messages.js';
export * from './batch-decoder.js';
