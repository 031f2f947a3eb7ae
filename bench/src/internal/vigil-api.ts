// The Vigil server's HTTP surface as benchmarks use it: admin login, enrollment tokens, agent enrollment over mutual TLS.
// Every connection verifies the server CA; every agent socket pool it creates is registered with the cleanup registry.

import { Agent } from 'node:https';
import { generateKeyPair } from '@vigil/pki';
import { paths, type EnrollResponse } from '@vigil/protocol';
import type { CleanupRegistry } from './cleanup.js';
import { requestJson } from './https-client.js';
import type { ServerChild } from './server-child.js';

export interface AdminSession {
  apiUrl: string;
  /** Socket pool of the admin API (no keep-alive), trusting only the server CA. */
  api: Agent;
  /** The bearer header of the logged-in admin. */
  auth: Record<string, string>;
}

export interface EnrolledAgent {
  id: string;
  hostname: string;
  /** Keep-alive pool with one socket, presenting the agent's client certificate. */
  https: Agent;
}

export async function loginAdmin(server: ServerChild, password: string, cleanup: CleanupRegistry): Promise<AdminSession> {
  const api = new Agent({ keepAlive: false, ca: server.caCertPem });
  cleanup.add('close api agent', () => api.destroy());
  const login = await requestJson<{ token: string }>(`${server.apiUrl}/api/v1/auth/login`, { method: 'POST', agent: api, body: JSON.stringify({ username: 'admin', password }) });
  return { apiUrl: server.apiUrl, api, auth: { authorization: `Bearer ${login.body.token}` } };
}

/** An enrollment token good for `maxUses` enrollments within the hour. */
export async function createEnrollmentToken(session: AdminSession, maxUses: number): Promise<string> {
  const enrollment = await requestJson<{ token: string }>(`${session.apiUrl}/api/v1/enrollment-tokens`, {
    method: 'POST',
    agent: session.api,
    headers: session.auth,
    body: JSON.stringify({ max_uses: maxUses, expires_in_s: 3600 }),
  });
  return enrollment.body.token;
}

/** Enrolls one simulated agent with a fresh key pair; fails when the returned CA differs from the server's. */
export async function enrollAgent(session: AdminSession, server: ServerChild, token: string, hostname: string, cleanup: CleanupRegistry, cleanupName: string): Promise<EnrolledAgent> {
  const keys = generateKeyPair();
  const enrolled = await requestJson<EnrollResponse>(`${session.apiUrl}${paths.enroll}`, {
    method: 'POST',
    agent: session.api,
    body: JSON.stringify({ token, hostname, public_key_pem: keys.publicKeyPem }),
  });
  if (enrolled.body.ca_certificate_pem.trim() !== server.caCertPem.trim()) throw new Error('enrollment returned a CA certificate that differs from the server CA');
  const https = new Agent({ keepAlive: true, maxSockets: 1, key: keys.privateKeyPem, cert: enrolled.body.certificate_pem, ca: enrolled.body.ca_certificate_pem });
  cleanup.add(cleanupName, () => https.destroy());
  return { id: enrolled.body.agent_id, hostname, https };
}
