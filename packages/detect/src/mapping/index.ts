// Public entry of the Sigma mapping: the shipped content/mappings/sigma.yml as a FieldResolver and LogsourceRouter.
// It must never hold mapping knowledge itself: every routing and field rule comes from the YAML file.

import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { loadSigmaMapping, type SigmaMapping } from './sigma-mapping.js';

export { loadSigmaMapping, unsupportedReason, type SigmaMapping } from './sigma-mapping.js';

let cached: SigmaMapping | undefined;

/** The repository's content/mappings/sigma.yml path. */
export function defaultSigmaMappingPath(): string {
  return join(repoRoot(), 'content', 'mappings', 'sigma.yml');
}

/** content/mappings/sigma.yml from the repo (repoRoot() from '@vigil/common'), loaded once and cached. */
export function defaultSigmaMapping(): SigmaMapping {
  cached ??= loadSigmaMapping(defaultSigmaMappingPath());
  return cached;
}
