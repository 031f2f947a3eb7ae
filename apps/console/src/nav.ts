// The console's pages, listed once: navigation, keyboard shortcuts (g + key), permissions and routes come from here.
// Adding a page (for example Response or Policies when their APIs land) means adding one entry; pages load lazily.

import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface PageProps {
  params: Record<string, string>;
}

type Page = LazyExoticComponent<ComponentType<PageProps>>;

export interface Section {
  id: string;
  label: string;
  /** Where the navigation link goes. */
  path: string;
  /** Second key of the `g <key>` shortcut. */
  shortcut: string;
  /** Permission the section needs (any of a list); without it the link is hidden and its routes answer "not allowed". */
  permission: string | readonly string[];
  /** An API route (`GET /api/v1/...`) the section needs: on a server without it the section does not exist. */
  requires?: string;
  /** Route patterns (most specific first) and the page each shows. */
  routes: { pattern: string; page: Page }[];
}

const page = (load: () => Promise<{ default: ComponentType<PageProps> }>): Page => lazy(load);

const overview = page(() => import('./pages/overview.js'));
const hosts = page(() => import('./pages/hosts.js'));
const host = page(() => import('./pages/host.js'));
const processGraph = page(() => import('./pages/process.js'));
const alerts = page(() => import('./pages/alerts.js'));
const alert = page(() => import('./pages/alert.js'));
const hunt = page(() => import('./pages/hunt.js'));
const sweeps = page(() => import('./pages/sweeps.js'));
const rules = page(() => import('./pages/rules.js'));
const rule = page(() => import('./pages/rule.js'));
const integrations = page(() => import('./pages/integrations.js'));
const users = page(() => import('./pages/users.js'));
const audit = page(() => import('./pages/audit.js'));
const response = page(() => import('./pages/response.js'));
const policies = page(() => import('./pages/policies.js'));
const blocklist = page(() => import('./pages/blocklist.js'));
const intel = page(() => import('./pages/intel.js'));
const yara = page(() => import('./pages/yara.js'));

export const sections: readonly Section[] = [
  { id: 'overview', label: 'Overview', path: '/', shortcut: 'o', permission: 'authenticated', routes: [{ pattern: '/', page: overview }] },
  {
    id: 'hosts',
    label: 'Hosts',
    path: '/hosts',
    shortcut: 'h',
    permission: 'hosts:read',
    routes: [
      { pattern: '/hosts', page: hosts },
      { pattern: '/hosts/:id', page: host },
      { pattern: '/hosts/:id/processes/:entity', page: processGraph },
    ],
  },
  {
    id: 'alerts',
    label: 'Alerts',
    path: '/alerts',
    shortcut: 'a',
    permission: 'alerts:read',
    routes: [
      { pattern: '/alerts', page: alerts },
      { pattern: '/alerts/:id', page: alert },
    ],
  },
  { id: 'hunt', label: 'Hunt', path: '/hunt', shortcut: 't', permission: 'events:read', routes: [{ pattern: '/hunt', page: hunt }] },
  {
    id: 'sweeps',
    label: 'IOC sweeps',
    path: '/sweeps',
    shortcut: 's',
    permission: 'events:read',
    routes: [
      { pattern: '/sweeps', page: sweeps },
      { pattern: '/sweeps/:id', page: sweeps },
    ],
  },
  { id: 'intel', label: 'Threat intel', path: '/intel', shortcut: 'n', permission: ['alerts:read', 'rules:read'], requires: 'GET /api/v1/intel/summary', routes: [{ pattern: '/intel', page: intel }] },
  {
    id: 'yara',
    label: 'YARA',
    path: '/yara',
    shortcut: 'y',
    permission: ['rules:read', 'alerts:read'],
    requires: 'GET /api/v1/yara/rulesets',
    routes: [
      { pattern: '/yara', page: yara },
      { pattern: '/yara/sweeps/:id', page: yara },
    ],
  },
  {
    id: 'rules',
    label: 'Rules',
    path: '/rules',
    shortcut: 'r',
    permission: 'rules:read',
    routes: [
      { pattern: '/rules', page: rules },
      { pattern: '/rules/new', page: rule },
      { pattern: '/rules/:id', page: rule },
    ],
  },
  { id: 'response', label: 'Response', path: '/response', shortcut: 'x', permission: 'response:read', requires: 'GET /api/v1/response/tasks', routes: [{ pattern: '/response', page: response }] },
  { id: 'policies', label: 'Policies', path: '/policies', shortcut: 'p', permission: 'response:read', requires: 'GET /api/v1/response/policies', routes: [{ pattern: '/policies', page: policies }] },
  { id: 'blocklist', label: 'Blocklist', path: '/blocklist', shortcut: 'b', permission: 'response:read', requires: 'GET /api/v1/blocklist', routes: [{ pattern: '/blocklist', page: blocklist }] },
  { id: 'integrations', label: 'Integrations', path: '/integrations', shortcut: 'i', permission: 'integrations:read', routes: [{ pattern: '/integrations', page: integrations }] },
  { id: 'users', label: 'Users and access', path: '/users', shortcut: 'u', permission: 'users:manage', routes: [{ pattern: '/users', page: users }] },
  { id: 'audit', label: 'Audit log', path: '/audit', shortcut: 'l', permission: ['audit:read', 'response:read'], routes: [{ pattern: '/audit', page: audit }] },
];
