// A seeded generator of random and mutated hunting queries for the fuzz and performance tests.
// Test-only; the same seed always yields the same queries.

import { seededRandom } from '@vigil/common';

const FIELDS = ['process.name', 'process.pid', 'process.args', 'process.command_line', 'destination.ip', 'destination.port', 'dns.resolved_ip', '@timestamp', 'host.id', 'user.name', 'process.interactive', 'winlog.event_data.User', 'network.bytes', 'file.path', 'proces.nam'];
const CATEGORIES = ['process', 'network', 'dns', 'file', 'authentication', 'log', 'any', 'events', 'proc'];
const STRINGS = ['"bash"', '"py*"', '"a?c"', '"10.0.0.0/8"', '"fe80::/10"', '"2026-03-01"', '"x\\"y"', "'single'", '@"C:\\Win\\*"', '"%_"', '""', '"mimikatz"'];
const VALUES = [...STRINGS, '5', '-3', '4444', '1.5', 'true', 'false', 'now()', 'now() - 24h', '"2026-01-01" + 6h'];
const OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'contains', 'startswith', 'endswith', 'like', 'equals_cs', 'contains_cs', 'not contains'];
const PIPES = ['| where process.pid > 1', '| stats count() by host.id', '| stats count() as n, dc(user.name) as u by host.id | where n > 1', '| top 3 process.name', '| top 2 user.name by host.id', '| timechart span=1h count()', '| timechart span=1d count() by host.id', '| sort @timestamp desc', '| limit 5', '| fields host.id, @timestamp', '| head 2', '| stats max(process.pid), min(@timestamp), avg(network.bytes) by host.id'];
const NOISE = ['(', ')', '"', "'", '|', '[', ']', ',', '=', '==', '~', '/', '\\', ' and ', ' or ', ' not ', '*', '?', '-', '@', '.', ';', '$1', '24h', 'cidr(', 'exists(', 'fuzzy('];

export function fuzzQueries(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const condition = (depth: number): string => {
    const r = random();
    if (depth < 3 && r < 0.2) return `(${condition(depth + 1)} ${pick(['and', 'or'])} ${condition(depth + 1)})`;
    if (depth < 3 && r < 0.27) return `not ${condition(depth + 1)}`;
    if (r < 0.35) return pick(STRINGS);
    if (r < 0.4) return `~${pick(['"mimikatz"', '"lsass"', '"ab"'])}`;
    if (r < 0.45) return `exists(${pick(FIELDS)})`;
    if (r < 0.5) return `${pick(FIELDS)} in cidr(${pick(STRINGS)})`;
    if (r < 0.55) return `${pick(FIELDS)} in (${pick(VALUES)}, ${pick(VALUES)})`;
    if (r < 0.6) return `${pick(FIELDS)} matches ${pick(['/^a.*b$/', '/[0-9]{2,}/', '"x|y"', '/(?:ab)+/i', '/a{2000}/'])}`;
    if (r < 0.65) return `${pick(FIELDS)} between ${pick(VALUES)} and ${pick(VALUES)}`;
    return `${pick(FIELDS)} ${pick(OPERATORS)} ${pick(VALUES)}`;
  };
  const query = (): string => {
    const r = random();
    if (r < 0.08) return `sequence by host.id maxspan=${pick(['5m', '1h', '30s'])} [${pick(CATEGORIES)} where ${condition(1)}] [${pick(CATEGORIES)} where ${condition(1)}]${random() < 0.3 ? ' | limit 3' : ''}`;
    const head = random() < 0.7 ? `${pick(CATEGORIES)} where ` : '';
    let text = head + condition(0);
    while (random() < 0.4) text += ' ' + pick(PIPES);
    return text;
  };
  const mutate = (text: string): string => {
    const chars = [...text];
    const edits = 1 + Math.floor(random() * 3);
    for (let i = 0; i < edits; i++) {
      const at = Math.floor(random() * (chars.length + 1));
      const r = random();
      if (r < 0.4) chars.splice(at, 1);
      else if (r < 0.8) chars.splice(at, 0, pick(NOISE));
      else chars.splice(at, 0, String.fromCharCode(Math.floor(random() * 0x3000)));
    }
    return chars.join('');
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(random() < 0.5 ? query() : mutate(query()));
  return out;
}
