// Who may call what: roles, permissions and the request hook that enforces them on every API route.
// A route without a declared permission is refused, so forgetting to declare one can never open a route.

import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { VigilError } from '@vigil/common';
import type { ResponsePermission } from '@vigil/response';
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
  | 'events:import'
  | 'metrics:read'
  | 'integrations:read'
  | 'integrations:manage'
  // response (docs/response.md): reading tasks, policies and the response audit log; running actions by the
  // permission their ActionSpec names; managing policies; approving others' tasks; rotating the task-signing key
  | 'response:read'
  | ResponsePermission
  | 'policies:manage'
  | 'approvals:grant'
  | 'response:keys';

const responseActions: readonly ResponsePermission[] = ['response:collect', 'response:contain', 'response:remediate', 'response:power'];

/** The role table: what each role may do. docs/response.md shows it as a matrix; tests/src/authorization-matrix checks every route against it. */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: [
    'authenticated', 'events:read', 'hosts:read', 'hosts:manage', 'enrollment:manage', 'users:manage', 'audit:read', 'alerts:read', 'alerts:manage', 'rules:read', 'rules:manage', 'inbound:write', 'events:import', 'metrics:read', 'integrations:read', 'integrations:manage',
    'response:read', ...responseActions, 'policies:manage', 'approvals:grant', 'response:keys',
  ],
  responder: ['authenticated', 'events:read', 'hosts:read', 'alerts:read', 'alerts:manage', 'rules:read', 'integrations:read', 'response:read', ...responseActions, 'approvals:grant'],
  analyst: ['authenticated', 'events:read', 'hosts:read', 'alerts:read', 'alerts:manage', 'rules:read', 'rules:manage', 'events:import', 'integrations:read', 'response:read', 'response:collect'],
  viewer: ['authenticated', 'events:read', 'hosts:read', 'alerts:read', 'rules:read', 'integrations:read'],
  integration: ['inbound:write', 'alerts:read', 'metrics:read'],
};

/** Granted to every API token whatever its role: Prometheus scrapers authenticate with a token of any role. */
export const apiTokenPermissions: readonly Permission[] = ['metrics:read'];

/** Whether `principal` holds `permission` (its role's, plus what every API token holds). */
export function hasPermission(principal: Pick<Principal, 'kind' | 'role'>, permission: Permission): boolean {
  return rolePermissions[principal.role].includes(permission) || (principal.kind === 'api_token' && apiTokenPermissions.includes(permission));
}

export interface RoutePermission {
  method: string;
  url: string;
  permission: Permission | null;
}

/**
 * Collects every route's declared permission as routes are added (register `onRoute` before any route), for
 * GET /api/v1/auth/permissions and the authorization matrix test. HEAD routes mirror their GET and are left out.
 */
export function createRouteTable(): { onRoute(route: RouteOptions): void; list(): RoutePermission[] } {
  const routes: RoutePermission[] = [];
  return {
    onRoute(route) {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue;
        routes.push({ method, url: route.url, permission: (route.config as { permission?: Permission } | undefined)?.permission ?? null });
      }
    },
    list: () => [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method)),
  };
}

/** GET /api/v1/auth/permissions: the role table and every route with its permission (what the console may show). */
export function registerPermissionRoute(app: FastifyInstance, table: { list(): RoutePermission[] }): void {
  const permissionList = { type: 'array', items: { type: 'string' } };
  app.get(
    '/api/v1/auth/permissions',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Roles, their permissions and the permission of every route',
        description:
          'The role table (what each role may do), the permissions the caller holds, and every API route with the permission it needs. A route with permission `public` needs no login. Response actions need, besides the route permission, the permission their action declares (GET /api/v1/response/actions).',
        response: {
          200: {
            description: 'Roles and routes',
            type: 'object',
            required: ['roles', 'api_token_permissions', 'you', 'routes'],
            properties: {
              roles: { type: 'object', additionalProperties: permissionList },
              api_token_permissions: permissionList,
              you: { type: 'object', required: ['name', 'role', 'permissions'], properties: { name: { type: 'string' }, role: { type: 'string' }, permissions: permissionList } },
              routes: {
                type: 'array',
                items: { type: 'object', required: ['method', 'url', 'permission'], properties: { method: { type: 'string' }, url: { type: 'string' }, permission: { type: 'string', nullable: true } } },
              },
            },
            examples: [
              {
                roles: { viewer: ['authenticated', 'events:read', 'hosts:read'] },
                api_token_permissions: ['metrics:read'],
                you: { name: 'alice', role: 'viewer', permissions: ['authenticated', 'events:read', 'hosts:read'] },
                routes: [{ method: 'POST', url: '/api/v1/response/tasks', permission: 'response:collect' }],
              },
            ],
          },
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const all = new Set<Permission>([...Object.values(rolePermissions).flat(), ...apiTokenPermissions]);
      return {
        roles: rolePermissions,
        api_token_permissions: apiTokenPermissions,
        you: { name: principal.name, role: principal.role, permissions: [...all].filter((p) => hasPermission(principal, p)) },
        routes: table.list(),
      };
    },
  );
}

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
    if (!hasPermission(principal, permission)) {
      throw new VigilError('forbidden', `role ${principal.role} lacks permission ${permission}`);
    }
    request.principal = principal;
  };
}
