// The action registry: every ActionSpec by name, each argument schema compiled once, arguments validated with Ajv.
// Registering a name twice, or a spec whose schema is not a closed object schema, is a hard error at start.

import { VigilError } from '@vigil/common';
import type { ActionSpec, ResponsePermission } from './core.js';
import { compile, type Compiled } from './internal/validate.js';
import { actionNamePattern } from './task.js';

export const responsePermissions: readonly ResponsePermission[] = ['response:collect', 'response:contain', 'response:remediate', 'response:power'];

export interface ActionRegistry {
  get(name: string): ActionSpec | undefined;
  /** Every spec, sorted by name. */
  list(): readonly ActionSpec[];
  /**
   * A validated copy of `args` with schema defaults filled in (what is signed and run is explicit). Throws `not_found`
   * for an unknown action and `invalid_input` with the path (`args.pid`) of every problem.
   */
  validateArgs(name: string, args: unknown): Record<string, unknown>;
}

function checkSpec(spec: ActionSpec): void {
  const where = `action ${JSON.stringify(spec?.name)}`;
  if (typeof spec?.name !== 'string' || !new RegExp(actionNamePattern).test(spec.name)) throw new VigilError('invalid_config', `${where}: name must look like noun.verb (lower case)`);
  if (!responsePermissions.includes(spec.permission)) throw new VigilError('invalid_config', `${where}: permission must be one of ${responsePermissions.join(', ')}`);
  if (!spec.title || !spec.description) throw new VigilError('invalid_config', `${where}: title and description are required`);
  if (typeof spec.verification !== 'string' || !spec.verification.trim()) throw new VigilError('invalid_config', `${where}: verification must say how the agent checks that the action took effect`);
  if (spec.args?.type !== 'object' || spec.args.additionalProperties !== false) throw new VigilError('invalid_config', `${where}: args must be an object schema with additionalProperties: false`);
  if (!Array.isArray(spec.platforms) || !spec.platforms.length) throw new VigilError('invalid_config', `${where}: platforms must list at least one platform`);
  if (spec.timeoutSeconds !== undefined && !(Number.isInteger(spec.timeoutSeconds) && spec.timeoutSeconds > 0 && spec.timeoutSeconds <= 86_400)) {
    throw new VigilError('invalid_config', `${where}: timeoutSeconds must be a whole number of seconds between 1 and 86400`);
  }
}

export function createActionRegistry(specs: readonly ActionSpec[]): ActionRegistry {
  const byName = new Map<string, { spec: ActionSpec; validate: Compiled<Record<string, unknown>> }>();
  for (const spec of specs) {
    checkSpec(spec);
    if (byName.has(spec.name)) throw new VigilError('invalid_config', `action ${spec.name} is registered twice`);
    byName.set(spec.name, { spec, validate: compile<Record<string, unknown>>(spec.args, `arguments of ${spec.name}`, 'args', { defaults: true }) });
  }
  for (const { spec } of byName.values()) {
    if (spec.reversedBy !== undefined && !byName.has(spec.reversedBy)) throw new VigilError('invalid_config', `action ${spec.name}: reversedBy names ${spec.reversedBy}, which is not registered`);
  }
  const sorted = [...byName.values()].map((entry) => entry.spec).sort((a, b) => a.name.localeCompare(b.name));
  return {
    get: (name) => byName.get(name)?.spec,
    list: () => sorted,
    validateArgs(name, args) {
      const entry = byName.get(name);
      if (!entry) throw new VigilError('not_found', `unknown action ${JSON.stringify(name)}; GET /api/v1/response/actions lists them`, { location: { path: 'action' } });
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new VigilError('invalid_input', `arguments of ${name} must be an object`, { location: { path: 'args' } });
      return entry.validate(structuredClone(args));
    },
  };
}
