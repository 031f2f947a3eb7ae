// The agent's enrolled identity on disk: id, key, certificate, pinned CA and server endpoints.
// The private key is created here, written 0600, and never sent anywhere.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';

export interface AgentIdentity {
  agentId: string;
  /** https://host:port of the server API (enrollment). */
  apiUrl: string;
  /** host:port of the server's agent (mTLS) listener. */
  agentEndpoint: string;
  caFingerprint: string;
  enrolledAt: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}

const files = { meta: 'agent.json', key: 'agent.key', cert: 'agent.crt', ca: 'ca.crt' } as const;

function writeAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function saveIdentity(stateDir: string, identity: AgentIdentity): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  writeAtomic(join(stateDir, files.key), identity.keyPem, 0o600);
  writeAtomic(join(stateDir, files.cert), identity.certPem, 0o600);
  writeAtomic(join(stateDir, files.ca), identity.caPem, 0o600);
  const { keyPem: _k, certPem: _c, caPem: _a, ...meta } = identity;
  writeAtomic(join(stateDir, files.meta), JSON.stringify(meta, null, 2) + '\n', 0o600);
}

export function isEnrolled(stateDir: string): boolean {
  return existsSync(join(stateDir, files.meta)) && existsSync(join(stateDir, files.key));
}

export function loadIdentity(stateDir: string): AgentIdentity {
  if (!isEnrolled(stateDir)) throw new VigilError('invalid_config', `agent is not enrolled: no identity in ${stateDir}; run \`vigil enroll\` first`);
  try {
    const meta = JSON.parse(readFileSync(join(stateDir, files.meta), 'utf8')) as Omit<AgentIdentity, 'keyPem' | 'certPem' | 'caPem'>;
    for (const key of ['agentId', 'apiUrl', 'agentEndpoint', 'caFingerprint'] as const) {
      if (typeof meta[key] !== 'string' || !meta[key]) throw new Error(`${key} missing`);
    }
    return {
      ...meta,
      keyPem: readFileSync(join(stateDir, files.key), 'utf8'),
      certPem: readFileSync(join(stateDir, files.cert), 'utf8'),
      caPem: readFileSync(join(stateDir, files.ca), 'utf8'),
    };
  } catch (error) {
    throw new VigilError('invalid_config', `agent identity in ${stateDir} is unreadable: ${(error as Error).message}`, { cause: error, location: { file: join(stateDir, files.meta) } });
  }
}
