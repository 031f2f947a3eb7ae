// The seam between the hunting compiler and an SQL engine: every piece of engine-specific syntax lives behind it.
// A dialect only arranges SQL text around identifiers and placeholders it is given; it never sees a user value.

/** An IP network as inclusive bounds: IPv4 as integers, IPv6 as 32 lowercase hex digits (compare as text). */
export interface CidrBounds {
  family: 4 | 6;
  /** Placeholders (already bound by the compiler) holding the low and high bound. */
  low: string;
  high: string;
}

export interface SqlDialect {
  readonly name: string;
  /** A schema name or validated output name as an identifier. */
  quoteIdentifier(name: string): string;
  /** The placeholder for the 1-based parameter `index`. */
  placeholder(index: number): string;
  /** Table holding one category's events, or every event when `category` is null. */
  eventSource(category: string | null): string;
  /** `expr` matches a LIKE pattern (`%`, `_`, escaped with a backslash) held by `pattern`. */
  like(expr: string, pattern: string, caseSensitive: boolean): string;
  /** `expr` matches the regular expression held by `pattern` (RE2 syntax). */
  regex(expr: string, pattern: string, caseSensitive: boolean): string;
  /** A timestamp parameter (ISO 8601 text, UTC) as a value comparable with date columns. */
  timestamp(param: string): string;
  /** `expr` (a timestamp) plus a number of microseconds held by `micros`. */
  addMicros(expr: string, micros: string): string;
  /** `expr` (a timestamp) truncated to buckets of `micros` microseconds counted from the Unix epoch. */
  timeBucket(expr: string, micros: string): string;
  /** True when some element of the list `expr` satisfies `predicate(element)`. `variable` is unique in the query. */
  anyElement(expr: string, variable: string, predicate: (element: string) => string): string;
  /** Text columns, lists of text and JSON objects joined into one searchable text (lists and JSON flattened). */
  searchableText(parts: { expr: string; shape: 'text' | 'list' | 'json' }[]): string;
  /** `expr` (an IP address as text) lies inside the network. Addresses that do not parse never match. */
  cidr(expr: string, bounds: CidrBounds, variable: string): string;
  /** Some token of `text` (split on non-word characters, lowercased) is within `distance` edits of `term`. */
  fuzzyToken(text: string, term: string, distance: string, variable: string): string;
  /** A string value at `path` (a parameter made by `jsonPath`) of the JSON column `expr`. */
  jsonField(expr: string, path: string): string;
  /** The parameter value addressing one top-level key of a JSON object. */
  jsonPath(key: string): string;
  countDistinct(expr: string): string;
  /** LIMIT clause for a row count held by `count`. */
  limit(count: string): string;
}
