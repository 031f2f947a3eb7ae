// Consistency of the Windows event tables with the schema: categories, actions and target fields all exist.
// Never checks mapping behaviour (map-event.test.ts does): only that the data names things the schema defines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { categoryByName } from '@vigil/schema';
import { windowsChannelTables, windowsEventFallback, type EventRule, type FieldRule } from './event-tables.js';
import { converters } from './internal/converters.js';

/** The field each destination always writes for a usable value. */
function primaryFields(rule: FieldRule): string[] {
  if (typeof rule === 'string') return [rule];
  if ('convert' in rule) return [converters[rule.convert].fields(rule.target)[0] as string];
  return rule.flatMap((part) => primaryFields(part));
}

function actionsOf(rule: EventRule): string[] {
  if (typeof rule.action === 'string') return [rule.action];
  return [...Object.values(rule.action.values), ...(rule.action.default ? [rule.action.default] : [])];
}

test('every table rule names a schema category, its actions, and fields that category has', () => {
  for (const table of windowsChannelTables) {
    const usedCategories = new Set([windowsEventFallback.category]);
    for (const [eventId, rule] of Object.entries(table.events)) {
      const where = `${table.channel} ${eventId}`;
      const category = categoryByName.get(rule.category);
      assert.ok(category, `${where}: category ${rule.category}`);
      usedCategories.add(rule.category);
      for (const action of actionsOf(rule)) assert.ok(category.actionNames.has(action), `${where}: action ${action}`);
      for (const [source, fieldRule] of Object.entries(rule.fields ?? {})) {
        for (const field of primaryFields(fieldRule)) assert.ok(category.fieldByName.has(field), `${where}: ${source} -> ${field}`);
      }
      for (const field of Object.keys(rule.constants ?? {})) assert.ok(category.fieldByName.has(field), `${where}: constant ${field}`);
      for (const field of category.required) {
        const written = Object.values(rule.fields ?? {}).flatMap((fieldRule) => primaryFields(fieldRule));
        const fromCommon = Object.values(table.common).flatMap((fieldRule) => primaryFields(fieldRule));
        assert.ok(
          written.includes(field) || fromCommon.includes(field) || Object.hasOwn(rule.constants ?? {}, field),
          `${where}: nothing writes ${field}, which ${category.name} requires`,
        );
      }
    }
    for (const name of usedCategories) {
      const category = categoryByName.get(name);
      assert.ok(category);
      for (const [source, fieldRule] of Object.entries(table.common)) {
        for (const field of primaryFields(fieldRule)) assert.ok(category.fieldByName.has(field), `${table.channel} common ${source} -> ${field} in ${name}`);
      }
    }
  }
});

test('the agreed table: spot checks of channel, event id, category and action', () => {
  const lookup = (channel: string, eventId: number) => {
    const rule = windowsChannelTables.find((table) => table.channel === channel)?.events[eventId];
    return rule ? `${rule.category}/${actionsOf(rule).join('|')}` : undefined;
  };
  const sysmon = 'Microsoft-Windows-Sysmon/Operational';
  assert.equal(lookup(sysmon, 1), 'process/start');
  assert.equal(lookup(sysmon, 3), 'network/connect|accept|connect');
  assert.equal(lookup(sysmon, 12), 'registry/key_create|key_delete|value_delete');
  assert.equal(lookup(sysmon, 25), 'injection/process_tampering');
  assert.equal(lookup(sysmon, 29), 'file/executable_drop');
  for (const id of [4, 9, 16, 24, 255]) assert.equal(lookup(sysmon, id), 'log/windows_event', `Sysmon ${id}`);
  for (const id of [19, 20, 21]) assert.equal(lookup(sysmon, id), 'autostart/created|modified|deleted', `Sysmon ${id}`);
  assert.equal(lookup('Security', 4624), 'authentication/logon');
  assert.equal(lookup('Security', 4719), 'log/audit_policy_change');
  assert.equal(lookup('Security', 4756), 'iam/group_member_added');
  assert.equal(lookup('Security', 5145), 'log/windows_event');
  assert.equal(lookup('Security', 4771), 'authentication/kerberos_ticket');
  assert.equal(lookup('Security', 4743), 'iam/user_deleted');
  assert.equal(lookup('Security', 4700), 'autostart/modified');
  assert.equal(lookup('Security', 5156), undefined);
  assert.equal(lookup('System', 7034), 'service/stopped');
  assert.equal(lookup('PowerShellCore/Operational', 4104), 'script/script_block');
  assert.equal(lookup('Microsoft-Windows-Windows Defender/Operational', 1116), 'log/windows_event');
  assert.equal(lookup('System', 7040), 'service/modified');
  assert.equal(lookup('Microsoft-Windows-PowerShell/Operational', 4103), 'script/module_log');
  assert.equal(lookup('Windows PowerShell', 800), 'script/module_log');
  assert.equal(lookup('Windows PowerShell', 400), undefined);
});
