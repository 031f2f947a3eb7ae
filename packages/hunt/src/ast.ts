// The syntax tree of a hunting query: what the parser produces and the compiler consumes.
// Plain data only: it never holds SQL, schema lookups or anything resolved against a store.

/** 0-based offset of a construct in the query text (errors turn it into a 1-based line and column). */
export type Offset = number;

/** A name as written: a schema field, an output column of an earlier pipe, or `winlog.event_data.<Key>`. */
export interface FieldRef {
  name: string;
  at: Offset;
}

/**
 * A quoted string. `globs` lists the indices (into `value`) of unescaped `*` and `?`, which are wildcards where the
 * operator allows them (`==`, `!=`, `like`, `contains`, `startswith`, `endswith`, `in`, free text).
 */
export interface StringValue {
  kind: 'string';
  value: string;
  globs: number[];
  at: Offset;
}

export interface NumberValue {
  kind: 'number';
  value: number;
  at: Offset;
}

export interface BooleanValue {
  kind: 'boolean';
  value: boolean;
  at: Offset;
}

/** `now()` or a date string, plus a signed offset in milliseconds (`now() - 24h`, `"2026-01-02" + 6h`). */
export interface TimeValue {
  kind: 'time';
  base: { kind: 'now' } | { kind: 'date'; text: string };
  offsetMs: number;
  at: Offset;
}

export type Value = StringValue | NumberValue | BooleanValue | TimeValue;

/** Operators comparing a field with one value. Text operators ignore case unless `caseSensitive`. */
export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'startswith' | 'endswith' | 'like';

export type Condition =
  | { kind: 'and' | 'or'; operands: Condition[]; at: Offset }
  | { kind: 'not'; operand: Condition; at: Offset }
  | { kind: 'compare'; field: FieldRef; operator: CompareOperator; value: Value; caseSensitive: boolean; at: Offset }
  | { kind: 'in'; field: FieldRef; values: Value[]; caseSensitive: boolean; at: Offset }
  | { kind: 'between'; field: FieldRef; low: Value; high: Value; at: Offset }
  | { kind: 'regex'; field: FieldRef; pattern: string; patternAt: Offset; caseSensitive: boolean; at: Offset }
  | { kind: 'cidr'; field: FieldRef; ranges: { text: string; at: Offset }[]; at: Offset }
  | { kind: 'exists'; field: FieldRef; at: Offset }
  /** A bare string: it matches when any text field of the event contains it (ignoring case). */
  | { kind: 'text'; term: StringValue; at: Offset }
  /** `~"term"` or `fuzzy("term", n)`: some token of the event's text is within n edits of the term. */
  | { kind: 'fuzzy'; term: string; distance: number; at: Offset };

export type AggregateFunction = 'count' | 'dc' | 'min' | 'max' | 'sum' | 'avg';

export interface Aggregation {
  fn: AggregateFunction;
  /** Absent only for `count()`, which counts rows. */
  field: FieldRef | null;
  alias: { name: string; at: Offset } | null;
  at: Offset;
}

export interface SortKey {
  field: FieldRef;
  descending: boolean;
}

export type Pipe =
  | { kind: 'where'; condition: Condition; at: Offset }
  | { kind: 'stats'; aggregations: Aggregation[]; by: FieldRef[]; at: Offset }
  | { kind: 'top'; count: number; countAt: Offset; field: FieldRef; by: FieldRef[]; at: Offset }
  | { kind: 'timechart'; spanMs: number; spanAt: Offset; aggregations: Aggregation[]; by: FieldRef[]; at: Offset }
  | { kind: 'sort'; keys: SortKey[]; at: Offset }
  | { kind: 'limit'; count: number; countAt: Offset; at: Offset }
  | { kind: 'fields'; fields: FieldRef[]; at: Offset };

/** A category name as written; `null` means every category (`any where`, `events where` or no head at all). */
export interface CategoryRef {
  name: string;
  at: Offset;
}

export interface SequenceStep {
  category: CategoryRef | null;
  condition: Condition | null;
  /** Join keys of this step only, compared position by position with the other steps' keys. */
  by: FieldRef[];
  at: Offset;
}

export type QueryAst =
  | { kind: 'search'; category: CategoryRef | null; condition: Condition | null; pipes: Pipe[] }
  | { kind: 'sequence'; by: FieldRef[]; maxspanMs: number | null; maxspanAt: Offset; steps: SequenceStep[]; pipes: Pipe[]; at: Offset };
