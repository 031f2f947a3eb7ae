// STIX 2.1 bundles → indicators: every `indicator` object with a STIX pattern whose comparisons map to Vigil's
// types. Malformed input (not JSON, not a bundle, an indicator without a pattern, a pattern syntax error) is an error
// and the caller imports nothing; comparisons Vigil cannot match are warnings naming the object and pattern column.

import type { ImportProblem, IndicatorInput, IndicatorType, ParseOptions, ParseResult } from '../core.js';
import { addressOrRange, canonicalDomain, tryCanonical } from '../normalize.js';
import { externalIdOf, parseJsonDocument } from './json.js';
import { parseStixPattern, PatternSyntaxError, type ComparisonExpression, type Literal, type ObservationExpression, type ObjectPath } from './stix-pattern.js';

interface Mapped {
  type: IndicatorType;
  value: string;
}

type Outcome = { indicators: Mapped[]; unsupported: { message: string; column: number }[] };

const HASH_KEYS: Record<string, IndicatorType> = { md5: 'md5', 'sha-1': 'sha1', sha1: 'sha1', 'sha-256': 'sha256', sha256: 'sha256' };

/** The Vigil type a STIX object path compares, or undefined when Vigil has no such field. */
function typeOfPath(path: ObjectPath): { type: IndicatorType | 'address' | 'address-or-domain' } | undefined {
  const [first, second, third] = path.steps;
  const steps = path.steps.length;
  switch (path.objectType) {
    case 'ipv4-addr':
    case 'ipv6-addr':
      return steps === 1 && first === 'value' ? { type: 'address' } : undefined;
    case 'domain-name':
      return steps === 1 && first === 'value' ? { type: 'domain' } : undefined;
    case 'url':
      return steps === 1 && first === 'value' ? { type: 'url' } : undefined;
    case 'file':
    case 'artifact':
      if (steps === 2 && first === 'hashes' && typeof second === 'string' && HASH_KEYS[second.toLowerCase()]) return { type: HASH_KEYS[second.toLowerCase()]! };
      if (path.objectType === 'file' && steps === 1 && first === 'name') return { type: 'file_name' };
      return undefined;
    case 'process':
      if (steps === 1 && first === 'name') return { type: 'process_name' };
      if (steps === 2 && first === 'binary_ref' && second === 'name') return { type: 'process_name' };
      if (steps === 3 && first === 'binary_ref' && second === 'hashes' && typeof third === 'string' && HASH_KEYS[third.toLowerCase()]) return { type: HASH_KEYS[third.toLowerCase()]! };
      return undefined;
    case 'network-traffic':
      if (steps === 1 && (first === 'dst_port' || first === 'src_port')) return { type: 'port' };
      if (steps === 2 && (first === 'dst_ref' || first === 'src_ref') && second === 'value') return { type: 'address-or-domain' };
      return undefined;
    default:
      return undefined;
  }
}

function mapValue(kind: IndicatorType | 'address' | 'address-or-domain', literal: Literal): Mapped | string {
  if (literal.kind !== 'string' && !(kind === 'port' && literal.kind === 'int')) return `a ${literal.kind} literal cannot be compared with this property`;
  const raw = String(literal.value);
  if (kind === 'address' || kind === 'address-or-domain') {
    const range = addressOrRange(raw);
    if (range) return range;
    if (kind === 'address-or-domain') {
      const domain = canonicalDomain(raw);
      if (domain !== undefined) return { type: 'domain', value: domain };
    }
    return `${JSON.stringify(raw)} is not an IP address or CIDR range`;
  }
  const value = tryCanonical(kind, raw);
  return value === undefined ? `${JSON.stringify(raw)} is not a valid ${kind.replace('_', ' ')}` : { type: kind, value };
}

function comparisonOutcome(expression: ComparisonExpression): Outcome {
  const none = (message: string, column: number): Outcome => ({ indicators: [], unsupported: [{ message, column }] });
  switch (expression.kind) {
    case 'exists':
      return none(`EXISTS ${expression.path.text} cannot be matched`, expression.column);
    case 'or': {
      const parts = expression.operands.map(comparisonOutcome);
      return { indicators: parts.flatMap((p) => p.indicators), unsupported: parts.flatMap((p) => p.unsupported) };
    }
    case 'and': {
      const parts = expression.operands.map(comparisonOutcome);
      const hashes = parts.flatMap((p) => p.indicators).filter((i) => i.type === 'md5' || i.type === 'sha1' || i.type === 'sha256');
      if (hashes.length && parts.every((p) => p.unsupported.length === 0)) {
        return { indicators: hashes, unsupported: hashes.length < parts.length ? [{ message: 'AND: only the file hashes are matched; the other conditions are not checked', column: expression.column }] : [] };
      }
      const inner = parts.flatMap((p) => p.unsupported);
      return { indicators: [], unsupported: inner.length ? inner : [{ message: 'AND of conditions other than file hashes cannot be matched (Vigil indicators are single values)', column: expression.column }] };
    }
    case 'comparison': {
      const { path, operator, negated } = expression;
      const target = typeOfPath(path);
      if (!target) return none(`${path.text} has no Vigil indicator type (supported: ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value, file:hashes.*, file:name, process:name, network-traffic:dst_ref.value, network-traffic:dst_port)`, path.column);
      if (negated) return none(`NOT ${operator} cannot be matched`, expression.column);
      const literals: Literal[] = operator === 'IN' && Array.isArray(expression.value) ? expression.value : operator === '=' && !Array.isArray(expression.value) ? [expression.value] : [];
      if (operator === 'LIKE' && !Array.isArray(expression.value) && expression.value.kind === 'string' && (target.type === 'domain' || target.type === 'address-or-domain')) {
        // '%.example.com' (any subdomain) is what a domain indicator matches anyway.
        const like = /^%\.([^%_]+)$/.exec(expression.value.value);
        const domain = like ? canonicalDomain(like[1]!) : undefined;
        if (domain !== undefined) return { indicators: [{ type: 'domain', value: domain }], unsupported: [] };
      }
      if (!literals.length) return none(`operator ${operator} cannot be matched (only =, IN and LIKE '%.domain' are)`, expression.column);
      const out: Outcome = { indicators: [], unsupported: [] };
      for (const literal of literals) {
        const mapped = mapValue(target.type, literal);
        if (typeof mapped === 'string') out.unsupported.push({ message: `${path.text}: ${mapped}`, column: path.column });
        else out.indicators.push(mapped);
      }
      return out;
    }
  }
}

function observationOutcome(expression: ObservationExpression): Outcome {
  const qualifierNote = expression.qualifiers.map((q) => ({ message: `qualifier ${q.kind.toUpperCase()} ignored: every single observation matches`, column: q.column }));
  if (expression.kind === 'observation') {
    const inner = comparisonOutcome(expression.comparison);
    return { indicators: inner.indicators, unsupported: [...inner.unsupported, ...qualifierNote] };
  }
  if (expression.kind === 'or') {
    const parts = expression.operands.map(observationOutcome);
    return { indicators: parts.flatMap((p) => p.indicators), unsupported: [...parts.flatMap((p) => p.unsupported), ...qualifierNote] };
  }
  return { indicators: [], unsupported: [{ message: `observations joined by ${expression.kind === 'and' ? 'AND' : 'FOLLOWEDBY'} cannot be matched (they need several events together)`, column: expression.column }] };
}

/** What a STIX pattern yields, for callers that have a pattern without a bundle (API tests, the console). */
export function indicatorsOfPattern(pattern: string): Outcome {
  return observationOutcome(parseStixPattern(pattern));
}

const isoOrNull = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  const time = Date.parse(value);
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
};

export function parseStixBundle(text: string, options: ParseOptions): ParseResult {
  const file = options.file ?? 'bundle.json';
  const problems: ImportProblem[] = [];
  const indicators: IndicatorInput[] = [];
  const error = (message: string, path: string, column?: number) => problems.push({ severity: 'error', message, location: { file, path, ...(column ? { column } : {}) } });
  const warning = (message: string, path: string, column?: number) => problems.push({ severity: 'warning', message, location: { file, path, ...(column ? { column } : {}) } });

  const parsed = parseJsonDocument(text, file);
  if ('problem' in parsed) return { format: 'stix', indicators: [], problems: [parsed.problem], entries: 0 };
  const document = parsed.value as Record<string, unknown>;
  let objects: unknown[];
  let base = 'objects';
  if (document && typeof document === 'object' && !Array.isArray(document) && document.type === 'bundle') {
    if (!Array.isArray(document.objects)) {
      error('a STIX bundle needs an "objects" array', 'objects');
      return { format: 'stix', indicators, problems, entries: 0 };
    }
    objects = document.objects;
  } else if (document && typeof document === 'object' && !Array.isArray(document) && typeof document.type === 'string' && typeof document.id === 'string' && /^[a-z0-9-]+--/.test(document.id)) {
    // A single STIX object instead of a bundle.
    objects = [document];
    base = '';
  } else {
    error('not a STIX 2.1 bundle: expected an object with "type": "bundle" and an "objects" array', '$');
    return { format: 'stix', indicators, problems, entries: 0 };
  }
  let entries = 0;
  const now = options.now ?? new Date().toISOString();
  objects.forEach((object, index) => {
    const where = base ? `${base}[${index}]` : '$';
    if (!object || typeof object !== 'object' || Array.isArray(object)) return error('a STIX object must be a JSON object', where);
    const o = object as Record<string, unknown>;
    if (typeof o.type !== 'string') return error('a STIX object needs a "type"', `${where}.type`);
    if (o.type !== 'indicator') return;
    entries++;
    if (typeof o.id !== 'string' || !/^indicator--[0-9a-f-]{36}$/i.test(o.id)) return error('an indicator needs an "id" of the form indicator--<uuid>', `${where}.id`);
    if (typeof o.pattern !== 'string' || !o.pattern.trim()) return error('an indicator needs a "pattern" string', `${where}.pattern`);
    if (o.pattern_type !== undefined && typeof o.pattern_type !== 'string') return error('"pattern_type" must be a string', `${where}.pattern_type`);
    if (o.spec_version !== undefined && o.spec_version !== '2.1') warning(`spec_version ${JSON.stringify(o.spec_version)} read as 2.1`, `${where}.spec_version`);
    if (o.pattern_type !== undefined && o.pattern_type !== 'stix') return warning(`pattern_type ${JSON.stringify(o.pattern_type)} is not supported (only stix); indicator skipped`, `${where}.pattern_type`);
    if (o.revoked === true) return warning('revoked indicator skipped', `${where}.revoked`);
    let outcome: Outcome;
    try {
      outcome = indicatorsOfPattern(o.pattern);
    } catch (caught) {
      if (caught instanceof PatternSyntaxError) return error(caught.message, `${where}.pattern`, caught.column);
      throw caught;
    }
    for (const u of outcome.unsupported) warning(u.message, `${where}.pattern`, u.column);
    if (!outcome.indicators.length) return;
    const confidence = typeof o.confidence === 'number' && Number.isInteger(o.confidence) && o.confidence >= 0 && o.confidence <= 100 ? o.confidence : (options.confidence ?? null);
    const validUntil = isoOrNull(o.valid_until);
    if (validUntil && validUntil <= now) warning(`valid_until ${validUntil} has passed: stored as expired`, `${where}.valid_until`);
    const description = [typeof o.name === 'string' ? o.name : '', typeof o.description === 'string' ? o.description : ''].filter(Boolean).join(': ').slice(0, 2000) || null;
    const seen = new Set<string>();
    for (const mapped of outcome.indicators) {
      const key = `${mapped.type}:${mapped.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      indicators.push({
        type: mapped.type,
        value: mapped.value,
        source: options.source,
        externalId: externalIdOf(o.id as string, key),
        confidence,
        firstSeen: isoOrNull(o.valid_from),
        lastSeen: isoOrNull(o.modified),
        expiresAt: validUntil,
        description,
      });
    }
  });
  return { format: 'stix', indicators, problems, entries };
}
