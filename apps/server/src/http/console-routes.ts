// Serves the built React console (apps/console/dist) on the API listener: index.html for `/` and every client route,
// hashed assets with a long cache, precompressed (brotli or gzip, written by the Vite build) when the browser accepts
// it. Never serves a file outside the build's assets, never allows inline scripts (strict CSP), never crashes when
// the console is not built.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VigilError, repoRoot } from '@vigil/common';
import type { ControlPlane } from '../control-plane/sqlite.js';
import { SESSION_COOKIE } from './access.js';

export interface ConsoleRouteOptions {
  /** The console build to serve; default `<repo>/apps/console/dist`. */
  dir?: string;
  /** Tells the page whether the browser's session cookie is valid, so a logged-out visit makes no API call that fails. */
  controlPlane?: Pick<ControlPlane, 'authenticate'>;
}

function sessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return undefined;
}

/** Only the console's own origin may load scripts, styles, images and data; nothing may frame it. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files the build puts at its top level besides index.html (from apps/console/public). */
const topLevelFiles = new Set(['favicon.svg']);
/** Paths that belong to the API or other listeners: never answered with the console page. */
const reservedPrefixes = ['/api/', '/agent/', '/metrics'];
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** Precompressed siblings the build writes beside text assets, in order of preference. */
const encodings = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
const compressible = new Set(['.js', '.mjs', '.css', '.svg', '.json', '.txt']);

/** The encodings an Accept-Encoding header allows (q > 0), lower-cased; `*` allows any not named with q=0. */
export function acceptedEncodings(header: string | string[] | undefined): (name: string) => boolean {
  const allowed = new Map<string, boolean>();
  for (const part of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [raw, ...params] = part.toLowerCase().split(';');
    const token = raw?.trim();
    if (!token) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    allowed.set(token, q === undefined || Number(q.slice(2).trim()) > 0);
  }
  return (name) => allowed.get(name) ?? allowed.get('*') ?? false;
}

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

const notBuilt = (dir: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vigil console not built</title></head>
<body><h1>The Vigil console is not built</h1>
<p>The server found no console build in <code>${dir.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}</code>.
Build it with <code>npm run build -w @vigil/console</code> (or <code>npm run setup</code>) and reload this page.
The REST API under <code>/api/v1</code> works without it.</p></body></html>`;

export function registerConsoleRoutes(app: FastifyInstance, options: ConsoleRouteOptions = {}): void {
  const dir = options.dir ?? join(repoRoot(), 'apps', 'console', 'dist');

  const sendIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    securityHeaders(reply).header('cache-control', 'no-store');
    let html: string;
    try {
      html = await readFile(join(dir, 'index.html'), 'utf8');
    } catch {
      return reply.status(503).type('text/html; charset=utf-8').send(notBuilt(dir));
    }
    const cookie = sessionCookie(request.headers.cookie);
    let active = false;
    try {
      active = cookie !== undefined && options.controlPlane?.authenticate(decodeURIComponent(cookie))?.kind === 'user';
    } catch {
      active = false;
    }
    const marker = `<meta name="vigil-session" content="${options.controlPlane && !active ? 'none' : 'unknown'}">`;
    return reply.type('text/html; charset=utf-8').send(html.replace('</head>', `  ${marker}\n  </head>`));
  };

  const sendFile = async (request: FastifyRequest, reply: FastifyReply, file: string, cache: string) => {
    const ext = extension(file);
    const type = contentTypes[ext];
    if (!type) throw new VigilError('not_found', `no console file ${file}`);
    let body: Buffer | undefined;
    let encoding: string | undefined;
    if (compressible.has(ext)) {
      const accepts = acceptedEncodings(request.headers['accept-encoding']);
      for (const candidate of encodings) {
        if (!accepts(candidate.name)) continue;
        body = await readFile(file + candidate.suffix).catch(() => undefined);
        if (body) {
          encoding = candidate.name;
          break;
        }
      }
    }
    try {
      body ??= await readFile(file);
    } catch {
      throw new VigilError('not_found', 'no such console file; the console may have been rebuilt: reload the page');
    }
    securityHeaders(reply).header('cache-control', cache).type(type);
    if (compressible.has(ext)) reply.header('vary', 'Accept-Encoding');
    if (encoding) reply.header('content-encoding', encoding);
    return reply.send(body);
  };

  const hidden = { hide: true } as const;
  app.get('/', { config: { permission: 'public' }, schema: hidden }, async (request, reply) => sendIndex(request, reply));

  app.get('/assets/:name', { config: { permission: 'public' }, schema: hidden }, async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!ASSET_NAME.test(name) || name.includes('..')) throw new VigilError('not_found', 'no such console file');
    // Asset names carry a content hash: a changed file gets a new name, so browsers may keep these for a year.
    return sendFile(request, reply, join(dir, 'assets', name), 'public, max-age=31536000, immutable');
  });

  for (const name of topLevelFiles) {
    app.get(`/${name}`, { config: { permission: 'public' }, schema: hidden }, async (request, reply) => sendFile(request, reply, join(dir, name), 'public, max-age=86400'));
  }

  // Client routes of the single-page application (/hosts/<id>, /alerts?status=new, ...) answer the console page.
  app.get('/*', { config: { permission: 'public' }, schema: hidden }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (reservedPrefixes.some((prefix) => path === prefix.replace(/\/$/, '') || path.startsWith(prefix)) || last.includes('.')) {
      throw new VigilError('not_found', `no route ${request.method} ${path}`);
    }
    return sendIndex(request, reply);
  });
}
