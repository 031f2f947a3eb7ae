export * from './core.js';
export { createDuckDbStore, type DuckDbStoreOptions, type DuckDbAckMode } from './duckdb/duckdb-store.js';
export * as duckdbDdl from './duckdb/ddl.js';
