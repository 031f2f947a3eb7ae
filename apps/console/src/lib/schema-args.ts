// Response action arguments from a form generated out of the action's JSON Schema: which input each property gets,
// and the typed argument object from what the user typed. Pure; the server validates again against the schema.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  examples?: unknown[];
}

export type InputKind = 'text' | 'number' | 'checkbox' | 'select' | 'list' | 'json';

export interface FormField {
  name: string;
  kind: InputKind;
  required: boolean;
  description: string;
  options: string[];
  /** What the input starts with (from the schema default). */
  initial: string | boolean;
}

function typeOf(schema: JsonSchema): string {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  return type ?? (schema.enum ? 'string' : 'json');
}

export function formFields(schema: JsonSchema | undefined): FormField[] {
  const properties = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const type = typeOf(property);
    const kind: InputKind = property.enum ? 'select' : type === 'boolean' ? 'checkbox' : type === 'integer' || type === 'number' ? 'number' : type === 'string' ? 'text' : type === 'array' && typeOf(property.items ?? {}) === 'string' ? 'list' : 'json';
    const fallback = kind === 'checkbox' ? false : '';
    const initial = property.default === undefined ? fallback : kind === 'checkbox' ? Boolean(property.default) : kind === 'list' && Array.isArray(property.default) ? property.default.join('\n') : kind === 'json' ? JSON.stringify(property.default) : String(property.default);
    return { name, kind, required: required.has(name), description: property.description ?? '', options: (property.enum ?? []).map(String), initial };
  });
}

/** The argument object: empty optional fields are left out (the server fills defaults); problems name the field. */
export function argsFromForm(schema: JsonSchema | undefined, values: Record<string, string | boolean>): { args: Record<string, unknown>; problems: { field: string; message: string }[] } {
  const args: Record<string, unknown> = {};
  const problems: { field: string; message: string }[] = [];
  for (const field of formFields(schema)) {
    const raw = values[field.name] ?? field.initial;
    if (field.kind === 'checkbox') {
      if (raw === true || (raw !== field.initial && raw === false) || field.required) args[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (!text) {
      if (field.required) problems.push({ field: field.name, message: 'required' });
      continue;
    }
    if (field.kind === 'number') {
      const value = Number(text);
      if (!Number.isFinite(value)) problems.push({ field: field.name, message: 'not a number' });
      else args[field.name] = value;
    } else if (field.kind === 'list') {
      args[field.name] = text.split(/[\n,]+/).map((v) => v.trim()).filter(Boolean);
    } else if (field.kind === 'json') {
      try {
        args[field.name] = JSON.parse(text);
      } catch {
        problems.push({ field: field.name, message: 'not valid JSON' });
      }
    } else {
      args[field.name] = text;
    }
  }
  return { args, problems };
}
