// The IOC matcher: indicators in, `match(event) → hits` out, over the fields of fields.ts. Hash sets and exact maps
// for hashes, addresses, names, paths, URLs and ports; a binary prefix trie per address family for CIDR ranges; a
// reversed-label trie for domains (subdomains match). Changes are incremental (add/remove by id, no rebuild).
// Never throws on event content: a field of the wrong type or an unparsable value is simply not a match.

import type { IndicatorType } from './core.js';
import { indicatorTypes } from './core.js';
import { indicatorFields, URL_IN_TEXT } from './fields.js';
import { parseAddress, parseCidr } from './internal/ip.js';
import { canonicalAddress } from './internal/ip.js';
import { PrefixTrie } from './internal/prefix-trie.js';
import { SuffixTrie } from './internal/suffix-trie.js';
import { canonicalUrl } from './normalize.js';

/** What the matcher needs of an indicator; callers pass their own records (extra properties are kept). */
export interface MatchableIndicator {
  id: string;
  type: IndicatorType;
  /** Canonical value (canonicalIndicatorValue). */
  value: string;
}

export interface IocHit<I extends MatchableIndicator = MatchableIndicator> {
  indicator: I;
  /** The event field that matched. */
  field: string;
  /** The field's value as the event has it (one element for list fields, the URL for command lines). */
  value: string;
}

export interface IocMatcher<I extends MatchableIndicator = MatchableIndicator> {
  /** Adds indicators; one with the id of a stored one replaces it. */
  add(indicators: Iterable<I>): void;
  /** Removes indicators by id (unknown ids are ignored). */
  remove(ids: Iterable<string>): void;
  /** Every indicator matching the event, once each (the first field in fields.ts order that matched). */
  match(event: Readonly<Record<string, unknown>>): IocHit<I>[];
  get(id: string): I | undefined;
  readonly size: number;
  counts(): Record<IndicatorType, number>;
}

type ExactType = Exclude<IndicatorType, 'cidr' | 'domain'>;
const exactTypes: readonly ExactType[] = ['md5', 'sha1', 'sha256', 'ip', 'url', 'file_name', 'path', 'process_name', 'port'];

/** How the text of an event field is turned into the key of the exact map (undefined: cannot match). */
const exactKey: Record<ExactType, (text: string) => string | undefined> = {
  md5: (t) => (t.length === 32 ? t.toLowerCase() : undefined),
  sha1: (t) => (t.length === 40 ? t.toLowerCase() : undefined),
  sha256: (t) => (t.length === 64 ? t.toLowerCase() : undefined),
  ip: (t) => t,
  url: (t) => t,
  file_name: (t) => t.toLowerCase(),
  path: (t) => t,
  process_name: (t) => t.toLowerCase(),
  port: (t) => t,
};

interface Plan {
  field: string;
  list: boolean;
  types: IndicatorType[];
}

export function createIocMatcher<I extends MatchableIndicator>(initial: Iterable<I> = []): IocMatcher<I> {
  const byId = new Map<string, I>();
  const exact = new Map<ExactType, Map<string, I[]>>(exactTypes.map((type) => [type, new Map()]));
  const v4 = new PrefixTrie<I>(32);
  const v6 = new PrefixTrie<I>(128);
  const domains = new SuffixTrie<I>();
  const count = Object.fromEntries(indicatorTypes.map((type) => [type, 0])) as Record<IndicatorType, number>;
  let plan: Plan[] | undefined;

  function insert(indicator: I): void {
    const { type, value } = indicator;
    if (type === 'cidr') {
      const cidr = parseCidr(value);
      if (!cidr) return;
      (cidr.family === 4 ? v4 : v6).insert(cidr.bytes, cidr.prefix, indicator);
    } else if (type === 'domain') {
      domains.insert(value, indicator);
    } else {
      const map = exact.get(type)!;
      const list = map.get(value);
      if (list) list.push(indicator);
      else map.set(value, [indicator]);
    }
    byId.set(indicator.id, indicator);
    if (count[type]++ === 0) plan = undefined;
  }

  function erase(indicator: I): void {
    const { type, value, id } = indicator;
    const drop = (other: I) => other.id === id;
    if (type === 'cidr') {
      const cidr = parseCidr(value);
      if (cidr) (cidr.family === 4 ? v4 : v6).remove(cidr.bytes, cidr.prefix, drop);
    } else if (type === 'domain') {
      domains.remove(value, drop);
    } else {
      const map = exact.get(type)!;
      const list = map.get(value);
      if (list) {
        const kept = list.filter((other) => other.id !== id);
        if (kept.length) map.set(value, kept);
        else map.delete(value);
      }
    }
    byId.delete(id);
    if (--count[type] === 0) plan = undefined;
  }

  /** Fields worth reading: those of types with at least one indicator, each field once with all its types. */
  function currentPlan(): Plan[] {
    if (plan) return plan;
    const byField = new Map<string, Plan>();
    for (const type of indicatorTypes) {
      if (!count[type]) continue;
      for (const { field, list } of indicatorFields[type]) {
        const entry = byField.get(field) ?? { field, list: Boolean(list), types: [] };
        entry.types.push(type);
        byField.set(field, entry);
      }
    }
    return (plan = [...byField.values()]);
  }

  function matchValue(type: IndicatorType, text: string, field: string, seen: Set<string>, hits: IocHit<I>[]): void {
    const take = (values: readonly I[], matched: string) => {
      for (const indicator of values) {
        if (seen.has(indicator.id)) continue;
        seen.add(indicator.id);
        hits.push({ indicator, field, value: matched });
      }
    };
    switch (type) {
      case 'cidr': {
        const address = parseAddress(text);
        if (address) (address.family === 4 ? v4 : v6).lookup(address.bytes, (values) => take(values, text));
        return;
      }
      case 'domain': {
        let name = text.toLowerCase();
        if (name.endsWith('.')) name = name.slice(0, -1);
        domains.lookup(name, (values) => take(values, text));
        return;
      }
      case 'url': {
        const map = exact.get('url')!;
        for (const found of text.matchAll(URL_IN_TEXT)) {
          const token = found[0].replace(/[),.\]}]+$/, '');
          const canonical = canonicalUrl(token);
          const values = canonical === undefined ? undefined : (map.get(canonical) ?? (canonical.endsWith('/') ? map.get(canonical.slice(0, -1)) : undefined));
          if (values) take(values, token);
        }
        return;
      }
      case 'ip': {
        const map = exact.get('ip')!;
        let values = map.get(text);
        if (!values && (text.includes(':') || text.trim() !== text)) {
          const canonical = canonicalAddress(text);
          if (canonical !== undefined) values = map.get(canonical);
        }
        if (values) take(values, text);
        return;
      }
      default: {
        const key = exactKey[type](text);
        const values = key === undefined ? undefined : exact.get(type)!.get(key);
        if (values) take(values, text);
      }
    }
  }

  const matcher: IocMatcher<I> = {
    add(indicators) {
      for (const indicator of indicators) {
        const old = byId.get(indicator.id);
        if (old) erase(old);
        insert(indicator);
      }
    },
    remove(ids) {
      for (const id of ids) {
        const old = byId.get(id);
        if (old) erase(old);
      }
    },
    match(event) {
      const hits: IocHit<I>[] = [];
      if (byId.size === 0) return hits;
      let seen: Set<string> | undefined;
      for (const { field, list, types } of currentPlan()) {
        const raw = event[field];
        if (raw === undefined || raw === null) continue;
        const values = list && Array.isArray(raw) ? raw : [raw];
        for (const item of values) {
          if (typeof item !== 'string' && typeof item !== 'number') continue;
          const text = String(item);
          if (!text) continue;
          seen ??= new Set();
          for (const type of types) matchValue(type, text, field, seen, hits);
        }
      }
      return hits;
    },
    get: (id) => byId.get(id),
    get size() {
      return byId.size;
    },
    counts: () => ({ ...count }),
  };
  matcher.add(initial);
  return matcher;
}
