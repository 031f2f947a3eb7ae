// Public surface of @vigil/hunt: the hunting query language (parse → AST → parameterised SQL through a dialect).
// Nothing here opens a store or runs SQL; callers hand the compiled text and parameters to an EventStore.

export type * from './ast.js';
export { parseHuntQuery } from './parser.js';
export type { SqlDialect, CidrBounds } from './dialect.js';
export { duckdbDialect } from './duckdb/duckdb-dialect.js';
export { compileHunt, DEFAULT_LIMIT, MAX_LIMIT, type CompiledHunt, type HuntOptions, type IndexProbe, type IndexedHunt } from './compile.js';
export { huntFields } from './fields.js';
