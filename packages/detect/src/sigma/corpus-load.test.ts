// Loads every SigmaHQ rule folder of the shared corpus with Vigil's real Sigma mapping: zero errors allowed.
// Never copies corpus files and never skips: a missing corpus or mapping fails the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusPath } from '@vigil/common';
import { defaultSigmaMapping } from '../mapping/index.js';
import { formatProblem, loadSigmaRules } from './load.js';
import { readRuleSources } from './rule-files.js';

/** Values for the `%name%` placeholders used with `expand` in the corpus (rules-placeholder and one emerging-threats pair). */
const placeholders: Record<string, string[]> = {
  Administrators: ['adm_*', 'Administrator'],
  Admins_Workstations: ['ADMIN-WS-*'],
  ApprovedUserUpn: ['*@example.org'],
  Approved_Inviters: ['admin@example.org'],
  DomainControllers: ['DC01$', 'DC02$'],
  HomeTenantID: ['00000000-0000-0000-0000-000000000000'],
  Important_AppIds: ['00000000-0000-0000-0000-000000000001'],
  KNOWN_LOCATION: ['Office'],
  Known_Location: ['Office'],
  Legitimate_Countries: ['CH', 'DE'],
  Legitimate_IP_Ranges: ['10.*'],
  ServerSystems: ['SRV-*'],
  UnApprovedDevice: ['unmanaged-*'],
  UnApprovedIp: ['203.0.113.*'],
  UnLegitCountries: ['XX'],
  Workstations: ['WS-*'],
  dc_ip_addresses: ['10.0.0.10', '10.0.0.11'],
  dc_machine_accounts: ['DC01$', 'DC02$'],
  domain_controller_hostnames: ['dc01', 'dc02'],
  internal_domains: ['example.org'],
  legit_ips: ['10.0.0.1'],
  legtimate_identifiers: ['svc_*'],
  userdomain: ['EXAMPLE'],
  known_cdcs: ['dc01.example.org'],
  'DC-MACHINE-NAME': ['DC01$'],
};

const folders: { folder: string; files: number; deprecated: number }[] = [
  { folder: 'rules', files: 3141, deprecated: 0 },
  { folder: 'rules-emerging-threats', files: 473, deprecated: 0 },
  { folder: 'rules-threat-hunting', files: 140, deprecated: 0 },
  { folder: 'rules-compliance', files: 3, deprecated: 0 },
  { folder: 'rules-placeholder', files: 23, deprecated: 0 },
  { folder: 'deprecated', files: 172, deprecated: 167 },
];

for (const { folder, files, deprecated } of folders) {
  test(`corpus sigma/${folder} loads with zero errors`, () => {
    const { resolver, router } = defaultSigmaMapping();
    const sources = readRuleSources(corpusPath('sigma', folder));
    const set = loadSigmaRules(sources, { resolver, router, placeholders });
    const errors = set.problems.filter((problem) => problem.severity === 'error');
    const warnings = new Map<string, number>();
    for (const problem of set.problems) if (problem.severity === 'warning') warnings.set(problem.code, (warnings.get(problem.code) ?? 0) + 1);
    console.log(
      `sigma/${folder}: files ${set.files}, loaded ${set.rules.length}, deprecated ${set.deprecated}, unsupported logsource ${set.unsupported}, ` +
        `errors ${errors.length}, warnings ${JSON.stringify(Object.fromEntries([...warnings].sort()))}`,
    );
    assert.deepEqual(errors.map(formatProblem), []);
    assert.equal(set.files, files);
    assert.equal(set.deprecated, deprecated);
    assert.equal(set.rules.length + set.deprecated, files, 'every file holds one rule, loaded or deprecated');
    assert.equal(warnings.get('unknown_placeholder') ?? 0, 0);
    assert.equal(set.unsupported, set.rules.filter((rule) => rule.route === undefined).length);
  });
}
