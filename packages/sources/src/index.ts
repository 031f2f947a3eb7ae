export * from './core.js';
export { createBpftraceSource, type BpftraceSourceOptions } from './bpftrace/index.js';
export { createAuditdSource, DEFAULT_AUDITD_SOCKET, parseRecord, type AuditdSourceOptions, type AuditRecord } from './auditd/index.js';
export { createEventXmlSplitter, createWindowsEventLogSource, DEFAULT_WINDOWS_CHANNELS, decodeCommandOutput, wevtutilCommand, type ChannelQuery, type EventXmlSplitter, type WindowsEventLogSourceOptions } from './windows-eventlog/index.js';
