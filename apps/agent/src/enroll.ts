// Enrollment: trade a one-time token for a per-agent client certificate, verifying the server by its CA fingerprint.
// The private key is generated locally and only its public half is sent.

import { hostname, release, platform, arch } from 'node:os';
import { VigilError } from '@vigil/common';
import { paths, type EnrollResponse } from '@vigil/protocol';
import { fetchPinnedCa, postJson, errorText } from './transport.js';
import { saveIdentity, type AgentIdentity } from './identity.js';
import { pinAtEnrollment } from './response/key-pin.js';

export interface EnrollOptions {
  serverUrl: string;
  token: string;
  /** SHA-256 fingerprint of the server CA (hex or AB:CD form); or give `caPem`. */
  caFingerprint?: string;
  caPem?: string;
  stateDir: string;
  hostname?: string;
}

export async function enroll(options: EnrollOptions): Promise<AgentIdentity> {
  let url: URL;
  try {
    url = new URL(options.serverUrl);
  } catch {
    throw new VigilError('invalid_config', `server URL ${JSON.stringify(options.serverUrl)} is not a URL such as https://vigil.example:8443`);
  }
  if (url.protocol !== 'https:') throw new VigilError('invalid_config', 'server URL must use https');
  // Loaded here, not at import: its X.509 library costs the running agent ~15 MB it only needs to enroll.
  const { generateKeyPair, certificateFingerprint, parseFingerprint } = await import('@vigil/pki');
  let caPem = options.caPem;
  if (!caPem) {
    if (!options.caFingerprint) throw new VigilError('invalid_config', 'give the server CA fingerprint (--ca-fingerprint) or CA file (--ca-file)');
    caPem = await fetchPinnedCa(url, options.caFingerprint);
  } else if (options.caFingerprint && certificateFingerprint(caPem) !== parseFingerprint(options.caFingerprint)) {
    throw new VigilError('enrollment_refused', 'the CA file does not match the given fingerprint');
  }
  const keys = generateKeyPair();
  const name = options.hostname ?? hostname();
  const result = await postJson(url, paths.enroll, { token: options.token, hostname: name, public_key_pem: keys.publicKeyPem, os: { platform: platform(), kernel: release(), arch: arch() } }, { ca: caPem });
  if (result.status !== 200) throw new VigilError(result.status === 403 ? 'enrollment_refused' : 'unavailable', `enrollment refused by the server (HTTP ${result.status}): ${errorText(result)}`);
  const response = result.body as EnrollResponse;
  const identity: AgentIdentity = {
    agentId: response.agent_id,
    apiUrl: url.origin,
    agentEndpoint: response.agent_endpoint,
    caFingerprint: certificateFingerprint(caPem),
    enrolledAt: new Date().toISOString(),
    keyPem: keys.privateKeyPem,
    certPem: response.certificate_pem,
    caPem,
  };
  saveIdentity(options.stateDir, identity);
  // The task-signing key is pinned now, over the connection pinned to the CA (docs/response.md).
  const taskKey = (response as EnrollResponse & { task_signing_key?: unknown }).task_signing_key;
  if (taskKey !== undefined) pinAtEnrollment(options.stateDir, taskKey);
  return identity;
}
