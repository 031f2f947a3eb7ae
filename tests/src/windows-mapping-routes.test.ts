// The Windows event tables (packages/windows) agree with the Sigma logsource routing (content/mappings/sigma.yml): every
// category a channel's events are mapped to is one the channel's Sigma service routes, and every Sigma category that
// names a channel and event id routes the category and an action the table gives that event. A mapping change that would
// silently hide events from rules fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogsourceRoute } from '@vigil/detect';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { windowsChannelTables, type EventRule } from '@vigil/windows';

const serviceOfChannel: Readonly<Record<string, string>> = {
  Security: 'security',
  System: 'system',
  'Microsoft-Windows-Sysmon/Operational': 'sysmon',
  'Microsoft-Windows-PowerShell/Operational': 'powershell',
  'PowerShellCore/Operational': 'powershell',
  'Windows PowerShell': 'powershell-classic',
  'Microsoft-Windows-Windows Defender/Operational': 'windefend',
};

const windowsCategories = [
  'process_creation', 'process_termination', 'file_change', 'network_connection', 'sysmon_status', 'driver_load', 'image_load', 'create_remote_thread',
  'raw_access_thread', 'process_access', 'file_event', 'registry_add', 'registry_delete', 'registry_set', 'registry_rename', 'registry_event', 'create_stream_hash',
  'pipe_created', 'wmi_event', 'dns_query', 'file_delete', 'clipboard_capture', 'clipboard_change', 'process_tampering', 'file_delete_detected',
  'file_block_executable', 'file_block_shredding', 'file_executable_detected', 'sysmon_error', 'ps_script', 'ps_module', 'ps_classic_script',
];

function actionsOf(rule: EventRule): string[] {
  if (typeof rule.action === 'string') return [rule.action];
  return [...Object.values(rule.action.values), ...(rule.action.default ? [rule.action.default] : [])];
}

function condition(route: LogsourceRoute, field: string): readonly (string | number)[] | undefined {
  return route.conditions.find((c) => c.field === field)?.anyOf;
}

test('every channel table has a Sigma service that routes its channel and every category its events map to', () => {
  const { router } = defaultSigmaMapping();
  const problems: string[] = [];
  for (const table of windowsChannelTables) {
    const service = serviceOfChannel[table.channel];
    if (!service) {
      problems.push(`${table.channel}: no Sigma service listed in this test`);
      continue;
    }
    const route = router.route({ product: 'windows', service });
    if (!route) {
      problems.push(`${table.channel}: service ${service} is not routed`);
      continue;
    }
    if (!condition(route, 'winlog.channel')?.includes(table.channel)) problems.push(`${table.channel}: service ${service} does not select the channel`);
    const categories = new Set(['log', ...Object.values(table.events).map((rule) => rule.category)]);
    for (const category of categories) if (route.categories && !route.categories.includes(category)) problems.push(`${table.channel}: service ${service} does not route category ${category}`);
  }
  assert.deepEqual(problems, []);
});

test('every Sigma Windows category that names channels and event ids routes what the tables map those events to', () => {
  const { router } = defaultSigmaMapping();
  const problems: string[] = [];
  let checked = 0;
  for (const category of [...windowsCategories.map((c) => ({ product: 'windows', category: c })), { category: 'antivirus' }]) {
    const route = router.route(category);
    if (!route) {
      problems.push(`${category.category}: not routed`);
      continue;
    }
    const channels = condition(route, 'winlog.channel') ?? [];
    const eventIds = condition(route, 'winlog.event_id');
    const actions = condition(route, 'event.action');
    for (const table of windowsChannelTables.filter((t) => channels.includes(t.channel))) {
      for (const [id, rule] of Object.entries(table.events)) {
        if (eventIds && !eventIds.includes(Number(id))) continue;
        checked++;
        const where = `${category.category}: ${table.channel} ${id} (${rule.category})`;
        if (route.categories && !route.categories.includes(rule.category)) problems.push(`${where}: category not routed (${route.categories.join(', ')})`);
        if (actions && rule.category !== 'log' && !actionsOf(rule).some((action) => actions.includes(action))) problems.push(`${where}: none of ${actionsOf(rule).join(', ')} is routed (${actions.join(', ')})`);
      }
    }
  }
  assert.ok(checked >= 40, `only ${checked} table entries checked`);
  assert.deepEqual(problems, []);
});

test('the issue 5 event list: each id has its own table entry (mapped, or kept as a log record on purpose)', () => {
  const wanted: Record<string, number[]> = {
    'Microsoft-Windows-Sysmon/Operational': Array.from({ length: 29 }, (_, i) => i + 1),
    Security: [4624, 4625, 4634, 4647, 4648, 4672, 4688, 4689, 4697, 4698, 4702, 4719, 4720, 4722, 4723, 4724, 4725, 4726, 4728, 4732, 4738, 4740, 4756, 4768, 4769, 4776, 5140, 5145, 1102, 4771],
    System: [7045, 7036, 104],
    'Microsoft-Windows-PowerShell/Operational': [4103, 4104],
    'Windows PowerShell': [800],
    'Microsoft-Windows-Windows Defender/Operational': [1116, 1117, 5001, 5007],
  };
  const missing: string[] = [];
  for (const [channel, ids] of Object.entries(wanted)) {
    const table = windowsChannelTables.find((t) => t.channel === channel);
    for (const id of ids) if (!table || !Object.hasOwn(table.events, id)) missing.push(`${channel} ${id}`);
  }
  assert.deepEqual(missing, []);
});
