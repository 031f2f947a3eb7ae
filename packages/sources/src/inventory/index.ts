export { createInventoryCollector, DEFAULT_INTERVALS, tablePart, type InventoryCollector, type InventoryOptions, type InventoryPublisher } from './collector.js';
export { INVENTORY_TABLES, createTableReader, type InventoryTableName, type TableReadOptions, type TableResult } from './tables.js';
export { parseElf, parseElfFile, bufferSource, type ElfInfo, type ByteSource } from './elf.js';
export { parseDpkgStatus, type DpkgPackage } from './dpkg.js';
export { parseProcNet, isListening, type SocketEntry } from './proc-net.js';
export { parseProcModules, type KernelModule } from './kernel-modules.js';
