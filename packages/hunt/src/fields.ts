// The queryable fields of the hunting language, taken from the event schema and nothing else.
// It never invents a field: the only names outside the schema are `winlog.event_data.<Key>` lookups into that object.

import { allEventFields, categoriesWithField, resolvedCategories, telemetryFields, type FieldDef, type ResolvedCategory } from '@vigil/schema';

export const EVENT_DATA_FIELD = 'winlog.event_data';
/** Keys of `winlog.event_data` that may be addressed as `winlog.event_data.<Key>`. */
export const EVENT_DATA_KEY = /^[A-Za-z0-9_]{1,128}$/;

/** Every queryable field with its type and the categories that have it (for autocomplete and docs). */
export function huntFields(): { name: string; type: string; categories: string[]; description: string }[] {
  return allEventFields.map((field) => ({
    name: field.name,
    type: field.type,
    categories: categoriesWithField(field.name).map((c) => c.name),
    description: field.description,
  }));
}

/** The fields of one category, or of every telemetry category when null (`any`, the `events` view). */
export function fieldsOf(category: ResolvedCategory | null): readonly FieldDef[] {
  return category ? category.fields : telemetryFields;
}

export function categoryNames(): string[] {
  return resolvedCategories.map((c) => c.name);
}
