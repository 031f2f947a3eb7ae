export * from './core.js';
export { createAuditdSource, DEFAULT_AUDITD_SOCKET, parseRecord, type AuditdSourceOptions, type AuditRecord } from './auditd/index.js';
