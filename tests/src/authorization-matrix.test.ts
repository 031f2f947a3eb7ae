// Authorization matrix on a real server: every API route the running server registered × every role, called with an
// API token of that role, answers 403 exactly when the role table (apps/server/src/http/access.ts) says the role lacks
// the route's permission. The route list comes from the server, so a new route is covered without touching this test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '@vigil/common';
import { apiTokenPermissions, rolePermissions, type Permission } from '@vigil/server/http/access';
import { roles, type Role } from '@vigil/server/control-plane/sqlite';
import { ApiClient, cleanup, request, startServer, type ServerHandle } from './harness.js';

interface RouteEntry {
  method: string;
  url: string;
  permission: Permission | null;
}

let server: ServerHandle;
let admin: ApiClient;
let routes: RouteEntry[];
const tokens = new Map<Role, string>();

before(async () => {
  server = await startServer({ VIGIL_API_RATE_BURST: '20000', VIGIL_API_RATE_PER_MIN: '600000' });
  admin = await new ApiClient(server).login();
  for (const role of roles) {
    const reply = await admin.post('/api/v1/api-tokens', { name: `matrix-${role}`, role });
    assert.equal(reply.status, 200, reply.text);
    tokens.set(role, reply.body.token);
  }
  const table = await admin.get('/api/v1/auth/permissions');
  assert.equal(table.status, 200, table.text);
  routes = table.body.routes;
  assert.deepEqual(table.body.roles, rolePermissions, 'the server enforces the role table this test reads');
});
after(cleanup);

/** What the role table says an API token of `role` gets for a route. */
function allowed(role: Role, permission: Permission | null): boolean {
  if (permission === null) return false; // a route without a declared permission is refused to everyone
  return rolePermissions[role].includes(permission) || apiTokenPermissions.includes(permission);
}

function concrete(url: string): string {
  return url.replace(/:[A-Za-z_]+/g, 'matrix-unknown').replace(/\*/g, 'matrix');
}

test('the route table lists every documented operation with its permission', async () => {
  const doc = (await request(`${server.apiUrl}/api/v1/openapi.json`, { ca: server.caPem })).body as { paths: Record<string, Record<string, unknown>> };
  const listed = new Set(routes.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`));
  const missing: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) if (['get', 'post', 'put', 'patch', 'delete'].includes(method) && !listed.has(`${method.toUpperCase()} ${path}`)) missing.push(`${method.toUpperCase()} ${path}`);
  }
  assert.deepEqual(missing, []);
  assert.ok(routes.length > 60, `${routes.length} routes`);
  for (const response of ['/api/v1/response/tasks', '/api/v1/response/policies', '/api/v1/response/audit']) assert.ok(routes.some((r) => r.url === response), response);
});

test('every route × every role: 403 exactly when the role table withholds the permission', async () => {
  const checked = routes.filter((r) => r.permission !== 'public');
  const problems: string[] = [];
  let calls = 0;
  for (const route of checked) {
    for (const role of roles) {
      const expectAllowed = allowed(role, route.permission);
      const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
      const reply = await request(`${server.apiUrl}${concrete(route.url)}`, { method: route.method, ...(body ? { body } : {}), token: tokens.get(role)!, ca: server.caPem });
      calls++;
      const forbidden = reply.status === 403 && reply.body?.error?.code === 'forbidden';
      if (reply.status === 401 || reply.status === 429) problems.push(`${route.method} ${route.url} as ${role}: ${reply.status} ${reply.text.slice(0, 120)}`);
      else if (expectAllowed && forbidden) problems.push(`${route.method} ${route.url} as ${role}: refused, but the role holds ${route.permission}`);
      else if (!expectAllowed && !forbidden) problems.push(`${route.method} ${route.url} as ${role}: answered ${reply.status}, but the role lacks ${route.permission ?? '(no permission declared)'}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.equal(calls, checked.length * roles.length);
});

test('response permissions per role are what docs/response.md promises', () => {
  const holds = (role: Role, permission: Permission) => rolePermissions[role].includes(permission);
  assert.ok(roles.includes('responder'));
  for (const p of ['response:collect', 'response:contain', 'response:remediate', 'response:power', 'approvals:grant', 'response:read'] as const) assert.ok(holds('responder', p), `responder holds ${p}`);
  assert.ok(!holds('responder', 'policies:manage') && !holds('responder', 'response:keys'));
  assert.ok(holds('analyst', 'response:collect') && !holds('analyst', 'response:contain') && !holds('analyst', 'approvals:grant'));
  for (const p of ['response:read', 'response:collect', 'approvals:grant'] as const) assert.ok(!holds('viewer', p) && !holds('integration', p), `viewer and integration lack ${p}`);
  for (const p of ['policies:manage', 'response:keys', 'response:power'] as const) assert.ok(holds('admin', p));
});

test('the role matrix in docs/response.md is the role table of the code', () => {
  const text = readFileSync(join(repoRoot(), 'docs', 'response.md'), 'utf8');
  const block = /<!-- role-matrix:start -->([\s\S]*?)<!-- role-matrix:end -->/.exec(text)?.[1];
  assert.ok(block, 'docs/response.md has the role-matrix block');
  const [header, , ...rows] = block.trim().split('\n').map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  const columns = header!.slice(1) as Role[];
  assert.deepEqual([...columns].sort(), [...roles].sort());
  const documented = Object.fromEntries(roles.map((role) => [role, [] as string[]]));
  for (const row of rows) {
    const permission = row[0]!.replace(/`/g, '');
    columns.forEach((role, i) => {
      if (row[i + 1] === '✓') documented[role]!.push(permission);
    });
  }
  for (const role of roles) assert.deepEqual([...documented[role]!].sort(), [...rolePermissions[role]].sort(), `docs/response.md column ${role}`);
});
