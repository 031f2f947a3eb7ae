// Resolves the written-down schema into lookups: the fields of each category and inventory table.
// Built once at import; an inconsistent definition (one name, two types) throws at start-up, never later.

import { categories, inventoryTables } from './categories.js';
import { fieldSets } from './fields.js';
import type { CategoryDef, CategoryOrigin, FieldDef, InventoryTableDef } from './model.js';

/** Fields every event must carry. `event.ingested` is set by the server. */
export const REQUIRED_BASE_FIELDS = ['@timestamp', 'event.id', 'event.sequence', 'event.category', 'event.action', 'host.id'] as const;

export interface ResolvedCategory extends CategoryDef {
  origin: CategoryOrigin;
  /** All fields an event of this category may carry, base fields first, in a stable order. */
  fields: readonly FieldDef[];
  fieldByName: ReadonlyMap<string, FieldDef>;
  requiredFields: readonly string[];
  actionNames: ReadonlySet<string>;
  table: string;
}

export interface ResolvedInventoryTable extends InventoryTableDef {
  fields: readonly FieldDef[];
  fieldByName: ReadonlyMap<string, FieldDef>;
  table: string;
}

function collect(owner: string, setNames: readonly string[]): FieldDef[] {
  const byName = new Map<string, FieldDef>();
  for (const setName of setNames) {
    const set = fieldSets[setName];
    if (!set) throw new Error(`schema: ${owner} uses unknown field set "${setName}"`);
    for (const field of set) {
      const seen = byName.get(field.name);
      if (seen && seen.type !== field.type) {
        throw new Error(`schema: ${owner} gets field "${field.name}" as ${seen.type} and as ${field.type}`);
      }
      if (!seen) byName.set(field.name, field);
    }
  }
  return [...byName.values()];
}

function checkRequired(owner: string, required: readonly string[], fields: ReadonlyMap<string, FieldDef>): void {
  for (const name of required) if (!fields.has(name)) throw new Error(`schema: ${owner} requires "${name}" which none of its field sets has`);
}

/** Every field name anywhere in the schema maps to one type; checked here so the store can share columns. */
function checkGlobalTypes(): void {
  const types = new Map<string, string>();
  for (const [setName, set] of Object.entries(fieldSets)) {
    for (const field of set) {
      const seen = types.get(field.name);
      if (seen && seen !== field.type) throw new Error(`schema: field "${field.name}" is ${seen} elsewhere but ${field.type} in set ${setName}`);
      types.set(field.name, field.type);
    }
  }
}

checkGlobalTypes();

export const resolvedCategories: readonly ResolvedCategory[] = categories.map((category) => {
  // Windows events keep their log record (channel, event id, raw EventData) whatever category they map to, so rules
  // written against raw Windows field names still match them.
  const origin = category.origin ?? 'agent';
  const windows = origin === 'agent' && category.actions.some((action) => action.platforms.includes('windows'));
  const sets = windows && !category.fieldSets.includes('winlog') ? [...category.fieldSets, 'winlog'] : category.fieldSets;
  const fields = collect(`category ${category.name}`, ['base', ...sets]);
  const fieldByName = new Map(fields.map((field) => [field.name, field]));
  const requiredFields = [...REQUIRED_BASE_FIELDS, ...category.required];
  checkRequired(`category ${category.name}`, requiredFields, fieldByName);
  const actionNames = new Set(category.actions.map((action) => action.name));
  if (actionNames.size !== category.actions.length) throw new Error(`schema: category ${category.name} lists an action twice`);
  return { ...category, origin, fields, fieldByName, requiredFields, actionNames, table: `events_${category.name}` };
});

export const categoryByName: ReadonlyMap<string, ResolvedCategory> = new Map(resolvedCategories.map((c) => [c.name, c]));
if (categoryByName.size !== resolvedCategories.length) throw new Error('schema: a category name is used twice');

export const resolvedInventoryTables: readonly ResolvedInventoryTable[] = inventoryTables.map((table) => {
  const fields = collect(`inventory table ${table.name}`, table.fieldSets);
  const fieldByName = new Map(fields.map((field) => [field.name, field]));
  checkRequired(`inventory table ${table.name}`, [...table.required, ...table.key], fieldByName);
  return { ...table, fields, fieldByName, table: `inventory_${table.name}` };
});

export const inventoryTableByName: ReadonlyMap<string, ResolvedInventoryTable> = new Map(resolvedInventoryTables.map((t) => [t.name, t]));

/** Categories whose events come from agents and imports: what the `events` view and the hunting language's `any` cover. */
export const telemetryCategories: readonly ResolvedCategory[] = resolvedCategories.filter((category) => category.origin === 'agent');

function unionOf(categories: readonly ResolvedCategory[]): readonly FieldDef[] {
  const byName = new Map<string, FieldDef>();
  for (const category of categories) for (const field of category.fields) if (!byName.has(field.name)) byName.set(field.name, field);
  return [...byName.values()];
}

/** Union of all event fields across categories (server-written ones included), for the hunting field list and autocomplete. */
export const allEventFields: readonly FieldDef[] = unionOf(resolvedCategories);

/** Union of the fields of the telemetry categories: the columns of the `events` view and of `any` queries. */
export const telemetryFields: readonly FieldDef[] = unionOf(telemetryCategories);

/** Categories in which a field exists. */
export function categoriesWithField(name: string): ResolvedCategory[] {
  return resolvedCategories.filter((category) => category.fieldByName.has(name));
}
