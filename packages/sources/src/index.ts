export * from './core.js';
export { createBpftraceSource, type BpftraceSourceOptions } from './bpftrace/index.js';
export { checkFileWatchConfig, createAuditdSource, DEFAULT_AUDITD_SOCKET, DEFAULT_FILE_WATCH_PATHS, fileWatchConfigFromEnv, parseRecord, parseScriptInvocation, type AuditdSourceOptions, type AuditRecord, type FileWatchConfig, type ScriptInvocation } from './auditd/index.js';
export { checkOsLogConfig, createOslogSource, DEFAULT_LOG_FILES, osLogConfigFromEnv, parseSyslogLine, type OsLogConfig, type OslogSourceOptions, type SyslogMessage } from './oslog/index.js';
export { createEventXmlSplitter, createWindowsEventLogSource, DEFAULT_WINDOWS_CHANNELS, decodeCommandOutput, wevtutilCommand, type ChannelQuery, type EventXmlSplitter, type WindowsEventLogSourceOptions } from './windows-eventlog/index.js';
export { createChangeSource, type ChangeSourceOptions } from './changes/index.js';
export { parseProcNet, type SocketEntry } from './inventory/proc-net.js';
export { createInventoryCollector, INVENTORY_TABLES, type InventoryCollector, type InventoryOptions, type InventoryPublisher, type InventoryTableName } from './inventory/index.js';
export { createAgentFilter, loadAgentConfig, parseAgentConfig, DEFAULT_AGENT_CONFIG, type AgentConfig, type EventFilter } from './filters/index.js';
