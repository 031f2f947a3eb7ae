// Contracts of the detection engine: rule models, the field and logsource seams, compiled rules and alerts.
// The engine never imports an event source or a store: events arrive as flat Vigil objects, fields are reached
// only through a FieldResolver, and what is stored is the caller's business.

/** An event as the engine sees it: Vigil's flat object with dotted keys (see docs/schema.md). Never mutated. */
export type DetectEvent = Readonly<Record<string, unknown>>;

/** 1-based line and column in a rule file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One finding of the load pipeline. An `error` drops that rule only; a `warning` keeps it. */
export interface LoadProblem {
  severity: 'error' | 'warning';
  /** Stable machine code, for example `yaml_syntax`, `missing_field`, `unknown_modifier`, `unknown_search`, `unsupported_logsource`. */
  code: string;
  message: string;
  location: SourceLocation;
  ruleId?: string;
  ruleTitle?: string;
}

export type SigmaLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const sigmaLevels: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];

export interface Logsource {
  product?: string;
  category?: string;
  service?: string;
  definition?: string;
}

// ---- parsed Sigma (rule documents before compilation) ----

/** A scalar as written in YAML. Strings keep Sigma wildcards (`*`, `?`) and escapes (`\*`, `\?`, `\\`) unresolved. */
export type SigmaScalar = string | number | boolean | null;

/** `Field|mod1|mod2: values`. `field` is null for keyword items written as `'|mod': [...]` inside a map. */
export interface SigmaFieldItem {
  field: string | null;
  /** Modifier names in written order, lower-cased (`contains`, `all`, `base64offset`, `re`, `i`, `cidr`, ...). */
  modifiers: string[];
  /** One or more values; several values are OR'ed unless the `all` modifier is present. An empty list never matches. */
  values: SigmaScalar[];
  location: SourceLocation;
}

/**
 * A search identifier's definition.
 * - `map`: a map (one alternative: all items AND'ed) or a list of maps (alternatives OR'ed).
 * - `keywords`: a list of plain values searched in every text field of the event (OR'ed).
 */
export type SigmaSearch =
  | { kind: 'map'; alternatives: SigmaFieldItem[][]; location: SourceLocation }
  | { kind: 'keywords'; values: SigmaScalar[]; modifiers: string[]; location: SourceLocation };

export type SigmaCondition =
  | { kind: 'search'; name: string; location: SourceLocation }
  | { kind: 'not'; operand: SigmaCondition }
  | { kind: 'and' | 'or'; operands: SigmaCondition[] }
  /** `1 of pattern` / `all of pattern`; pattern is `them` or a search name with `*` wildcards. */
  | { kind: 'of'; quantifier: 'one' | 'all'; pattern: string; location: SourceLocation };

/** Metadata shared by detection and correlation rules. */
export interface SigmaMeta {
  file: string;
  /** Where the rule's document starts. */
  location: SourceLocation;
  id: string;
  /** `name` from the rule, used by correlation rules to refer to it. */
  name?: string;
  title: string;
  status?: string;
  level: SigmaLevel;
  description?: string;
  author?: string;
  date?: string;
  modified?: string;
  tags: string[];
  references: string[];
  falsepositives: string[];
}

export interface SigmaRule extends SigmaMeta {
  kind: 'detection';
  logsource: Logsource;
  searches: Map<string, SigmaSearch>;
  /** Several `condition` entries are OR'ed into one. */
  condition: SigmaCondition;
  /** Fields listed under `fields:` (shown with an alert). */
  fields: string[];
  /** Sigma filter documents (`filter:` section) applied to this rule are AND NOT'ed into `condition` at load. */
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';

export interface CorrelationCondition {
  operator: 'gt' | 'gte' | 'lt' | 'lte' | 'eq';
  value: number;
  /** value_count: the field whose distinct values are counted. */
  field?: string;
}

export interface SigmaCorrelation extends SigmaMeta {
  kind: 'correlation';
  type: CorrelationType;
  /** Referenced rules, by id or name, in written order (the order matters for temporal_ordered). */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  /** Absent for temporal types (where every referenced rule must match within the timespan). */
  condition?: CorrelationCondition;
  /** alias name -> (rule id or name -> field of that rule's events). */
  aliases: Map<string, Map<string, string>>;
  /** Whether the referenced rules also raise their own alerts (Sigma `generate`, default false). */
  generate: boolean;
}

// ---- the field and logsource seams (implemented from data in content/mappings) ----

/** How to read one Sigma field from an event; accessors with the same `key` read the same thing. */
export interface FieldAccessor {
  key: string;
  get(event: DetectEvent): unknown;
  /**
   * Optional, for accessors whose `get` builds an array per event: calls `visit` with each element `get` would return,
   * in order, without building it (nothing when `get` returns undefined).
   */
  forEachValue?(event: DetectEvent, visit: (value: unknown) => void): void;
  /** A DuckDB SQL expression over the `events` view's columns that yields the same value (for retro-hunts). */
  sql: string;
}

export interface FieldResolver {
  /** The accessor of a Sigma field under a logsource; undefined when the field cannot exist there. */
  resolve(field: string, logsource: Logsource): FieldAccessor | undefined;
  /** Accessors of every text field, for keyword (field-less) searches under a logsource. */
  keywordFields(logsource: Logsource): FieldAccessor[];
}

/** Which events a logsource covers: Vigil categories plus exact-value conditions on Vigil fields, all AND'ed. */
export interface LogsourceRoute {
  /** Undefined: events of every category. */
  categories?: readonly string[];
  /** Each condition: the Vigil field must equal one of the values. */
  conditions: readonly { field: string; anyOf: readonly (string | number)[] }[];
  /** Vigil fields the event must not have (Linux logsources exclude Windows events, which all carry winlog.channel). */
  absent?: readonly string[];
}

export interface LogsourceRouter {
  /** Undefined when Vigil has no events for the logsource (the rule loads with an `unsupported_logsource` warning and never matches). */
  route(logsource: Logsource): LogsourceRoute | undefined;
}

// ---- compiled rules and matches ----

export interface FieldHit {
  /** The Sigma field name as written in the rule (or `keywords`). */
  field: string;
  value: unknown;
}

export interface CompiledRule {
  rule: SigmaRule;
  /** Undefined when the logsource is unsupported: the rule never matches. */
  route: LogsourceRoute | undefined;
  /** Full evaluation including the route's conditions; null when the event does not match. */
  match(event: DetectEvent): FieldHit[] | null;
  /**
   * A necessary condition usable by a prefilter: the rule can only match when at least one accessor's value,
   * lower-cased, contains its needle (non-empty, lower-case). Undefined when no such literal set exists
   * (for example a rule that is only a `not`, a regex, or a numeric comparison): then it is always evaluated.
   */
  anyOf?: readonly { accessor: FieldAccessor; needle: string }[];
  /**
   * A stronger necessary condition: the rule can only match when EVERY one of these sets has a hit in the sense of
   * `anyOf` (at most 8 sets; `anyOf` is one of them). An empty set means the rule can never match. Undefined or
   * empty: fall back to `anyOf`.
   */
  allOf?: readonly (readonly { accessor: FieldAccessor; needle: string }[])[];
  /**
   * Necessary conditions that each read one field only: the rule can only match when every guard's `test` is true.
   * A guard's verdict is a function of `accessor.get(event)` alone (so it may be memoized per value) and ignores the
   * route. One guard per field (the conjunction of the rule's top-level conditions on it). Undefined when none.
   */
  guards?: readonly FieldGuard[];
}

export interface FieldGuard {
  accessor: FieldAccessor;
  test(event: DetectEvent): boolean;
}

export interface LoadResult<T> {
  items: T[];
  problems: LoadProblem[];
}

// ---- alerts ----

export interface RuleRef {
  id: string;
  title: string;
  level: SigmaLevel;
  tags: readonly string[];
}

/** One firing of a rule (or correlation) on one event (or group of events). Grouping repeats is the sink's job. */
export interface Detection {
  rule: RuleRef;
  /** `hunt`: a scheduled hunt (query language) whose result crossed its threshold; `ioc`: an event matched an indicator
   * of compromise; `yara`: an agent reported a YARA match (apps/server/src/intel); `anomaly`: a behaviour profile
   * found something new for the host (apps/server/src/baseline, docs/anomaly.md). */
  kind: 'sigma' | 'correlation' | 'hunt' | 'ioc' | 'yara' | 'anomaly';
  hostId: string;
  /** Event ids that made the detection, oldest first (several for correlations). */
  eventIds: string[];
  /** Event time of the (last) event. */
  time: string;
  fields: FieldHit[];
  /** `process.entity_id` or pid of the acting process, when the event has one (used to group repeats). */
  processKey?: string;
  /** Correlation group-by values. */
  group?: Record<string, unknown>;
}
