export * from './core.js';
export * from './normalize.js';
export * from './fields.js';
export * from './matcher.js';
export * from './parsers/index.js';
export { parseAddress, parseCidr, canonicalAddress, formatAddress, formatCidr } from './internal/ip.js';
