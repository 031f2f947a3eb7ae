// Who may call what: roles, permissions and the request hook that enforces them on every API route.
// A route without a declared permission is refused, so forgetting to declare one can never open a route.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { VigilError } from '@vigil/common';
import type { ControlPlane, Principal, Role } from '../control-plane/sqlite.js';

export type Permission =
  | 'public'
  | 'authenticated'
  | 'events:read'
  | 'hosts:read'
  | 'hosts:manage'
  | 'enrollment:manage'
  | 'users:manage'
  | 'audit:read'
  | 'alerts:read'
  | 'alerts:manage'
  | 'rules:read'
  | 'rules:manage'
  | 'inbound:write'
  | 'metrics:read'
  | 'integrations:read'
  | 'integrations:manage';

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: ['authenticated', 'events:read', 'hosts:read', 'hosts:manage', 'enrollment:manage', 'users:manage', 'audit:read', 'alerts:read', 'alerts:manage', 'rules:read', 'rules:manage', 'inbound:write', 'metrics:read', 'integrations:read', 'integrations:manage'],
  analyst: ['authenticated', 'events:read', 'hosts:read', 'alerts:read', 'alerts:manage', 'rules:read', 'rules:manage', 'integrations:read'],
  viewer: ['authenticated', 'events:read', 'hosts:read', 'alerts:read', 'rules:read', 'integrations:read'],
  integration: ['inbound:write', 'alerts:read', 'metrics:read'],
};

/** Granted to every API token whatever its role: Prometheus scrapers authenticate with a token of any role. */
export const apiTokenPermissions: readonly Permission[] = ['metrics:read'];

export const SESSION_COOKIE = 'vigil_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    permission?: Permission;
  }
}

function secretFrom(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const cookie = request.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === SESSION_COOKIE) return decodeURIComponent(rest.join('='));
    }
  }
  return undefined;
}

export function accessHook(controlPlane: ControlPlane) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const permission = request.routeOptions.config?.permission;
    if (permission === 'public') return;
    if (!request.routeOptions.url) return; // unknown route: let the 404 handler answer
    if (!permission) throw new VigilError('forbidden', 'route has no declared permission');
    const secret = secretFrom(request);
    if (!secret) throw new VigilError('unauthenticated', 'log in or send "Authorization: Bearer <API token>"');
    const principal = controlPlane.authenticate(secret);
    if (!principal) throw new VigilError('unauthenticated', 'session or API token is invalid or expired');
    if (!rolePermissions[principal.role].includes(permission) && !(principal.kind === 'api_token' && apiTokenPermissions.includes(permission))) {
      throw new VigilError('forbidden', `role ${principal.role} lacks permission ${permission}`);
    }
    request.principal = principal;
  };
}
