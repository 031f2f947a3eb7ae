// The shapes in which Vigil's event and inventory schema is written down: plain data, read by generators.
// Nothing here knows about a store, a source or the network.

export type FieldType =
  | 'keyword' // short exact string (names, ids, paths)
  | 'text' // long free text (command lines, messages, script bodies)
  | 'long' // 64-bit integer carried as a JS safe integer
  | 'integer' // 32-bit signed integer
  | 'double' // finite 64-bit floating-point number (scores)
  | 'boolean'
  | 'date' // ISO 8601 timestamp on the wire, TIMESTAMP in the store
  | 'ip' // IPv4 or IPv6 address
  | 'keyword[]' // list of short strings (argv, DNS answers)
  | 'ip[]'
  | 'object'; // JSON object with string keys (Windows event data); stored as JSON

export type Platform = 'linux' | 'windows' | 'macos';

export interface FieldDef {
  name: string;
  type: FieldType;
  description: string;
  /** ECS defines this field with the same meaning; false marks a Vigil extension. */
  ecs?: boolean;
  /** Largest accepted length in characters (strings) or items (lists). */
  maxLength?: number;
  /** Allowed values, when the set is closed. */
  allowed?: readonly string[];
  /** Lowercase hex of exactly this many characters (hashes). */
  hexLength?: number;
  example?: string;
}

export interface ActionDef {
  name: string;
  description: string;
  /** ECS event.type value for this action. */
  type: string;
  platforms: readonly Platform[];
}

/**
 * Who writes events of a category. `agent` (the default): telemetry from endpoints and imports. `server`: events the
 * server writes itself (alerts); the validator refuses them from anyone else, and they are not part of the `events`
 * view nor of the hunting language's `any` (both mean telemetry).
 */
export type CategoryOrigin = 'agent' | 'server';

export interface CategoryDef {
  /** Value of `event.category`; also names the store table `events_<name>`. */
  name: string;
  origin?: CategoryOrigin;
  title: string;
  description: string;
  /** Field sets (by name) whose fields events of this category may carry, besides the base fields. */
  fieldSets: readonly string[];
  /** Fields that must be present on every event of this category (besides the base required fields). */
  required: readonly string[];
  actions: readonly ActionDef[];
}

export interface InventoryTableDef {
  /** Names the store table `inventory_<name>`. */
  name: string;
  title: string;
  description: string;
  fieldSets: readonly string[];
  required: readonly string[];
  /** Fields that identify one row of a host's snapshot (for change history). */
  key: readonly string[];
  platforms: readonly Platform[];
}
