// The action catalog: the explicit list of every action module (packages/response/src/actions/*.ts), one line each.
// Adding an action module means adding its line here; nothing registers itself by being imported.

import type { ActionSpec } from './core.js';
import { createActionRegistry, type ActionRegistry } from './registry.js';
import { specs as agentSpecs } from './actions/agent.js';
import { specs as networkSpecs } from './actions/network.js';
import { specs as defenseSpecs } from './actions/defense.js';
import { specs as processSpecs } from './actions/process.js';
import { specs as fileSpecs } from './actions/file.js';
import { specs as accountSpecs } from './actions/account.js';
import { specs as powerSpecs } from './actions/power.js';
import { specs as collectSpecs } from './actions/collect.js';
import { specs as yaraSpecs } from './actions/yara.js';

/** Every action module's specs. Add `import { specs as <x>Specs } from './actions/<x>.js'` above and the name here. */
export const actionModules: readonly (readonly ActionSpec[])[] = [
  agentSpecs,
  networkSpecs,
  defenseSpecs,
  processSpecs,
  fileSpecs,
  accountSpecs,
  powerSpecs,
  collectSpecs,
  yaraSpecs,
];

let catalog: ActionRegistry | undefined;

/** The registry of every action (built on first use; throws invalid_config for a duplicate name or a bad spec). */
export function actionCatalog(): ActionRegistry {
  return (catalog ??= createActionRegistry(actionModules.flat()));
}
