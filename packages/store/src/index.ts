export * from './core.js';
export { createDuckDbStore, type DuckDbStoreOptions } from './duckdb/duckdb-store.js';
export * as duckdbDdl from './duckdb/ddl.js';
