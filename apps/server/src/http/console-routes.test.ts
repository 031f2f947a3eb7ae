// Console serving without a browser: an unbuilt console answers a clear 503 page, assets only from the build's
// assets folder with their content types, client routes fall back to index.html with the session marker, API paths
// never do, and random request paths never escape the build directory or crash the route.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { seededRandom } from '@vigil/common';
import { errorHandler } from './errors.js';
import { CONSOLE_CSP, acceptedEncodings, registerConsoleRoutes } from './console-routes.js';

const INDEX = '<!doctype html><html><head><title>t</title><script type="module" src="/assets/index-abc.js"></script></head><body></body></html>';
let dir: string;
let built: FastifyInstance;
let unbuilt: FastifyInstance;

function app(consoleDir: string): FastifyInstance {
  const instance = Fastify({ logger: false });
  instance.setErrorHandler(errorHandler);
  registerConsoleRoutes(instance, { dir: consoleDir, controlPlane: { authenticate: (secret: string) => (secret === 'vgl_ses_good' ? { kind: 'user', id: 'u', name: 'admin', role: 'admin' } : undefined) } });
  return instance;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-console-routes-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{}');
  const bundle = `console.log(${JSON.stringify('x'.repeat(5000))})`;
  writeFileSync(join(dir, 'assets', 'bundle-def.js'), bundle);
  writeFileSync(join(dir, 'assets', 'bundle-def.js.br'), brotliCompressSync(bundle));
  writeFileSync(join(dir, 'assets', 'bundle-def.js.gz'), gzipSync(bundle));
  writeFileSync(join(dir, 'assets', 'notes.exe'), 'MZ');
  writeFileSync(join(dir, 'secret.txt'), 'top secret');
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  built = app(dir);
  unbuilt = app(join(dir, 'missing'));
  await Promise.all([built.ready(), unbuilt.ready()]);
});

after(async () => {
  await Promise.all([built.close(), unbuilt.close()]);
  rmSync(dir, { recursive: true, force: true });
});

test('without a build, / and client routes answer 503 with how to build, under the same CSP', async () => {
  for (const url of ['/', '/hosts/abc']) {
    const reply = await unbuilt.inject({ url });
    assert.equal(reply.statusCode, 503);
    assert.match(reply.headers['content-type'] as string, /^text\/html/);
    assert.match(reply.body, /npm run build -w @vigil\/console/);
    assert.equal(reply.headers['content-security-policy'], CONSOLE_CSP);
  }
});

test('index.html for / and client routes, with the session marker and no caching', async () => {
  const anonymous = await built.inject({ url: '/alerts/123?view=list' });
  assert.equal(anonymous.statusCode, 200);
  assert.equal(anonymous.headers['cache-control'], 'no-store');
  assert.match(anonymous.body, /<meta name="vigil-session" content="none">\s*<\/head>/);
  const loggedIn = await built.inject({ url: '/', headers: { cookie: 'other=1; vigil_session=vgl_ses_good' } });
  assert.match(loggedIn.body, /<meta name="vigil-session" content="unknown">/);
  const expired = await built.inject({ url: '/', headers: { cookie: 'vigil_session=vgl_ses_old' } });
  assert.match(expired.body, /content="none"/);
  assert.equal(anonymous.headers['x-frame-options'], 'DENY');
  assert.ok(CONSOLE_CSP.includes("frame-ancestors 'none'") && !CONSOLE_CSP.includes('unsafe'));
});

test('assets come only from the assets folder, with their content type and a long cache', async () => {
  const js = await built.inject({ url: '/assets/index-abc.js' });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.headers['x-content-type-options'], 'nosniff');
  assert.equal((await built.inject({ url: '/assets/index-abc.css' })).headers['content-type'], 'text/css; charset=utf-8');
  assert.equal((await built.inject({ url: '/favicon.svg' })).headers['content-type'], 'image/svg+xml');
  for (const url of ['/assets/notes.exe', '/assets/missing.js', '/assets/..%2Fsecret.txt', '/assets/%2e%2e%2fsecret.txt', '/secret.txt', '/assets/', '/api/v1/anything', '/api', '/metrics', '/agent/v1/events']) {
    const reply = await built.inject({ url });
    assert.equal(reply.statusCode, 404, `${url} → ${reply.statusCode}`);
    assert.equal(JSON.parse(reply.body).error.code, 'not_found', url);
    assert.ok(!reply.body.includes('top secret'), url);
  }
});

test('fuzz: random request paths answer 200, 404 or 400 and never serve a file outside the build', async () => {
  const random = seededRandom(0xc0501e);
  const alphabet = ['a', 'Z', '0', '.', '/', '%2e', '%2f', '%00', '..', 'assets', 'secret.txt', '?', '#', '~', '%', ' ', 'é', '\\', 'api', '-'];
  for (let i = 0; i < 500; i++) {
    const parts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]!);
    const url = `/${parts.join('')}`;
    const reply = await built.inject({ url: encodeURI(url).replace(/%25/g, '%') });
    assert.ok([200, 400, 404].includes(reply.statusCode), `${url} → ${reply.statusCode}`);
    assert.ok(!reply.body.includes('top secret'), url);
    if (reply.statusCode === 200) assert.ok(reply.body === INDEX.replace('</head>', '  <meta name="vigil-session" content="none">\n  </head>') || reply.body === 'console.log(1)' || reply.body === 'body{}' || reply.body === '<svg/>', url);
  }
});

test('precompressed assets: brotli preferred, gzip next, identity otherwise; Vary on every compressible asset', async () => {
  const bundle = `console.log(${JSON.stringify('x'.repeat(5000))})`;
  const get = (encoding?: string) => built.inject({ url: '/assets/bundle-def.js', headers: encoding === undefined ? {} : { 'accept-encoding': encoding } });
  const br = await get('gzip, deflate, br, zstd');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(brotliDecompressSync(br.rawPayload).toString(), bundle);
  assert.ok(br.rawPayload.length < bundle.length / 10, `${br.rawPayload.length} bytes`);
  const gz = await get('gzip;q=1, br;q=0');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.rawPayload).toString(), bundle);
  for (const plain of [await get(), await get('identity'), await get('deflate')]) {
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'Accept-Encoding');
    assert.equal(plain.body, bundle);
  }
  // An asset the build did not compress is sent as is, still marked as varying.
  const css = await built.inject({ url: '/assets/index-abc.css', headers: { 'accept-encoding': 'br, gzip' } });
  assert.equal(css.headers['content-encoding'], undefined);
  assert.equal(css.body, 'body{}');
  // Requests for the compressed files themselves are not assets.
  assert.equal((await built.inject({ url: '/assets/bundle-def.js.br' })).statusCode, 404);
});

test('Accept-Encoding parsing: q=0 refuses, * allows the rest, case and spaces ignored', () => {
  const accepts = acceptedEncodings('GZip ; q=0.5, br;q=0, *;q=0.1');
  assert.equal(accepts('gzip'), true);
  assert.equal(accepts('br'), false);
  assert.equal(accepts('zstd'), true);
  assert.equal(acceptedEncodings(undefined)('gzip'), false);
  assert.equal(acceptedEncodings(['br', 'gzip'])('gzip'), true);
  // Regression: a space before `;` kept the token from matching (only `*` made it pass).
  assert.equal(acceptedEncodings('GZip ; q=0.5')('gzip'), true);
  assert.equal(acceptedEncodings('gzip ;q=0, *')('gzip'), false);
});
