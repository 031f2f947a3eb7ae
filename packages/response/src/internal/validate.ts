// One Ajv instance for the response package: compiles JSON Schemas (action arguments, wire messages) into validators
// that throw VigilError `invalid_input` with the JSON path of every problem. Never coerces types.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { VigilError, type VigilErrorDetail } from '@vigil/common';

const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;

function newAjv(useDefaults: boolean): Ajv {
  // strict: a misspelt keyword in an action's schema is an error at registration, not a silently ignored rule.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false, useDefaults, coerceTypes: false });
  addFormats(ajv);
  return ajv;
}

/** Fills `default`s in (action arguments: what is signed and run is explicit). */
const withDefaults = newAjv(true);
/** Wire messages: validated as they are, never changed. */
const exact = newAjv(false);

/** `args.pid` style path from Ajv's `/pid` instance path, under `root`. */
export function pathOf(root: string, error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') parts.push(String((error.params as { missingProperty: string }).missingProperty));
  if (error.keyword === 'additionalProperties') parts.push(String((error.params as { additionalProperty: string }).additionalProperty));
  let path = root;
  for (const part of parts) path += /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  return path;
}

export function problemsOf(root: string, errors: readonly ErrorObject[] | null | undefined): VigilErrorDetail[] {
  return (errors ?? []).slice(0, 20).map((error) => {
    const path = pathOf(root, error);
    const extra = error.keyword === 'additionalProperties' ? '' : error.keyword === 'enum' ? ` (${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)})` : '';
    return { message: `${path} ${error.message ?? 'is invalid'}${extra}`, location: { path } };
  });
}

/** Throws invalid_input naming the first problem, with every problem in `details`. */
export function invalid(what: string, root: string, errors: readonly ErrorObject[] | null | undefined): VigilError {
  const details = problemsOf(root, errors);
  const first = details[0] ?? { message: `${root} is invalid`, location: { path: root } };
  return new VigilError('invalid_input', `${what}: ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`, { location: first.location, details });
}

export interface Compiled<T> {
  /** Returns the value typed (with defaults filled in when compiled with `defaults`); throws invalid_input. */
  (value: unknown): T;
  readonly schema: Record<string, unknown>;
}

/**
 * Compiles `schema`; throws `invalid_config` naming `what` when the schema itself is wrong. `defaults: true` fills
 * `default` values into the validated value: pass a copy when the caller's object must stay as it was.
 */
export function compile<T>(schema: Record<string, unknown>, what: string, root: string, options: { defaults?: boolean } = {}): Compiled<T> {
  let validate: ValidateFunction;
  try {
    validate = (options.defaults ? withDefaults : exact).compile(schema);
  } catch (error) {
    throw new VigilError('invalid_config', `schema of ${what} is not a valid JSON Schema: ${(error as Error).message}`, { cause: error });
  }
  const check = ((value: unknown): T => {
    if (!validate(value)) throw invalid(what, root, validate.errors);
    return value as T;
  }) as Compiled<T>;
  Object.defineProperty(check, 'schema', { value: schema });
  return check;
}
