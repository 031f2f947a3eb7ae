// The DuckDB dialect of the hunting compiler, for the embedded store (tables events_<category> and the events view).
// It never splices a value into SQL: every argument it receives is an identifier, a placeholder or compiler-built SQL.

import type { CidrBounds, SqlDialect } from '../dialect.js';

function quoteIdentifier(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

const IPV4 = "'^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$'";
const IPV6 = "'^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}$'";

function ipv4Number(x: string): string {
  const octet = (n: number) => `TRY_CAST(split_part(${x}, '.', ${n}) AS BIGINT)`;
  return `(${octet(1)} * 16777216 + ${octet(2)} * 65536 + ${octet(3)} * 256 + ${octet(4)})`;
}

/** 32 hex digits of an IPv6 address written with or without `::` (embedded IPv4 forms do not parse). */
function ipv6Hex(x: string, variable: string): string {
  const groups = (part: string) => `(CASE WHEN ${part} = '' THEN []::VARCHAR[] ELSE string_split(${part}, ':') END)`;
  const left = groups(`split_part(${x}, '::', 1)`);
  const right = groups(`split_part(${x}, '::', 2)`);
  const padded = (list: string) => `array_to_string(list_transform(${list}, lambda ${variable}: lpad(${variable}, 4, '0')), '')`;
  const expanded = `${left} || list_transform(range(8 - len(${left}) - len(${right})), lambda ${variable}_z: '0') || ${right}`;
  return `(CASE WHEN strpos(${x}, '::') > 0 THEN ${padded(expanded)} ELSE ${padded(`string_split(${x}, ':')`)} END)`;
}

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quoteIdentifier,
  placeholder: (index) => `$${index}`,
  eventSource: (category) => (category === null ? 'events' : quoteIdentifier(`events_${category}`)),
  like: (expr, pattern, caseSensitive) => `${expr} ${caseSensitive ? 'LIKE' : 'ILIKE'} ${pattern} ESCAPE '\\'`,
  regex: (expr, pattern, caseSensitive) => `regexp_matches(${expr}, ${pattern}, '${caseSensitive ? 'c' : 'i'}')`,
  timestamp: (param) => `CAST(${param} AS TIMESTAMP)`,
  addMicros: (expr, micros) => `(${expr} + to_microseconds(CAST(${micros} AS BIGINT)))`,
  timeBucket: (expr, micros) => `make_timestamp((epoch_us(${expr}) // CAST(${micros} AS BIGINT)) * CAST(${micros} AS BIGINT))`,
  anyElement: (expr, variable, predicate) => `coalesce(len(list_filter(${expr}, lambda ${variable}: ${predicate(variable)})) > 0, false)`,
  searchableText: (parts) =>
    `concat_ws(chr(31), ${parts.map((p) => (p.shape === 'list' ? `array_to_string(${p.expr}, chr(31))` : p.shape === 'json' ? `CAST(${p.expr} AS VARCHAR)` : p.expr)).join(', ')})`,
  cidr: (expr, bounds: CidrBounds, variable) => {
    const x = `lower(${expr})`;
    if (bounds.family === 4) return `(regexp_matches(${x}, ${IPV4}) AND ${ipv4Number(x)} BETWEEN ${bounds.low} AND ${bounds.high})`;
    return `(regexp_matches(${x}, ${IPV6}) AND length(${ipv6Hex(x, variable)}) = 32 AND ${ipv6Hex(x, variable)} BETWEEN ${bounds.low} AND ${bounds.high})`;
  },
  fuzzyToken: (text, term, distance, variable) =>
    `coalesce(len(list_filter(regexp_split_to_array(lower(${text}), '[^[:alnum:]_]+'), lambda ${variable}: abs(length(${variable}) - length(${term})) <= ${distance} AND levenshtein(${variable}, ${term}) <= ${distance})) > 0, false)`,
  jsonField: (expr, path) => `json_extract_string(${expr}, ${path})`,
  jsonPath: (key) => `$."${key}"`,
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
  limit: (count) => `LIMIT ${count}`,
};
