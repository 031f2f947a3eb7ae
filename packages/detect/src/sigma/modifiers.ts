// Sigma value modifiers: validation of a modifier chain and the value transformations (windash, base64, base64offset, utf16, expand).
// Never touches events: everything here runs once at compile time and returns either patterns or a message for a located problem.

import { type PatternPart, hasWildcards, literalPattern, normalizeParts, openPattern, parseSigmaString, plainText } from './wildcard.js';

export type EncodingModifier = 'base64' | 'base64offset' | 'utf16le' | 'utf16be' | 'utf16' | 'wide' | 'windash';
export type NumericModifier = 'gt' | 'gte' | 'lt' | 'lte';

/** A validated modifier chain. */
export interface ModifierChain {
  contains: boolean;
  startswith: boolean;
  endswith: boolean;
  all: boolean;
  cased: boolean;
  /** Transformations in written order. */
  encodings: EncodingModifier[];
  expand: boolean;
  fieldref: boolean;
  exists: boolean;
  cidr: boolean;
  /** Present with the `re` modifier: the JavaScript flags from the i/m/s sub-modifiers. */
  regexFlags?: string;
  numeric?: NumericModifier;
}

export const sigmaModifiers: readonly string[] = [
  'contains', 'startswith', 'endswith', 'all', 'cased', 'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide', 'windash',
  're', 'i', 'm', 's', 'ignorecase', 'multiline', 'dotall', 'cidr', 'exists', 'expand', 'fieldref', 'gt', 'gte', 'lt', 'lte', 'neq',
];

export type ChainResult = { chain: ModifierChain } | { code: 'unknown_modifier' | 'invalid_modifier'; message: string };

/** Validates modifier names (lower-case, written order) and the combinations that make sense; `neq` is handled by the caller. */
export function readModifierChain(modifiers: readonly string[]): ChainResult {
  const chain: ModifierChain = {
    contains: false, startswith: false, endswith: false, all: false, cased: false, encodings: [],
    expand: false, fieldref: false, exists: false, cidr: false,
  };
  let regex = false;
  let regexFlags = '';
  for (const modifier of modifiers) {
    switch (modifier) {
      case 'contains':
      case 'startswith':
      case 'endswith':
      case 'all':
      case 'cased':
      case 'expand':
      case 'fieldref':
      case 'exists':
      case 'cidr':
        chain[modifier] = true;
        break;
      case 'base64':
      case 'base64offset':
      case 'utf16le':
      case 'utf16be':
      case 'utf16':
      case 'wide':
      case 'windash':
        chain.encodings.push(modifier);
        break;
      case 're':
        regex = true;
        break;
      case 'i':
      case 'ignorecase':
      case 'm':
      case 'multiline':
      case 's':
      case 'dotall': {
        if (!regex) return { code: 'invalid_modifier', message: `modifier '${modifier}' is only valid after 're'` };
        const flag = modifier[0] as string;
        if (!regexFlags.includes(flag)) regexFlags += flag;
        break;
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (chain.numeric) return { code: 'invalid_modifier', message: 'only one of gt/gte/lt/lte may be used' };
        chain.numeric = modifier;
        break;
      default:
        return { code: 'unknown_modifier', message: `unknown modifier '${modifier}' (known: ${sigmaModifiers.join(', ')})` };
    }
  }
  if (regex) chain.regexFlags = regexFlags;
  const positions = [chain.contains, chain.startswith, chain.endswith].filter(Boolean).length;
  if (positions > 1) return { code: 'invalid_modifier', message: 'contains, startswith and endswith exclude each other' };
  const special = [regex, chain.cidr, chain.exists, chain.numeric !== undefined].filter(Boolean).length;
  if (special > 1) return { code: 'invalid_modifier', message: 're, cidr, exists and gt/gte/lt/lte exclude each other' };
  if (special === 1 && (positions > 0 || chain.encodings.length > 0 || chain.expand || chain.fieldref)) {
    return { code: 'invalid_modifier', message: 're, cidr, exists and gt/gte/lt/lte cannot be combined with string modifiers' };
  }
  if (chain.fieldref && (chain.encodings.length > 0 || chain.expand)) {
    return { code: 'invalid_modifier', message: 'fieldref cannot be combined with encoding or expand modifiers' };
  }
  return { chain };
}

export type ExpansionResult = { patterns: PatternPart[][] } | { message: string };

/** Largest number of dash positions windash expands (5 variants each). */
const maxWindashPositions = 6;
const windashVariants = ['-', '/', '\u2013', '\u2014', '\u2015'];

/**
 * Turns one string value (already placeholder-expanded) into the patterns it stands for (OR'ed):
 * encodings in written order, then contains/startswith/endswith.
 */
export function expandStringValue(value: string, chain: ModifierChain): ExpansionResult {
  type Alternative = { parts: PatternPart[] } | { bytes: Buffer };
  let alternatives: Alternative[] = [{ parts: parseSigmaString(value) }];
  for (const encoding of chain.encodings) {
    const next: Alternative[] = [];
    for (const alternative of alternatives) {
      if (encoding === 'windash') {
        if ('bytes' in alternative) return { message: 'windash must come before the encoding modifiers' };
        const expanded = windash(alternative.parts);
        if (expanded === undefined) return { message: `windash expands at most ${maxWindashPositions} dashes per value` };
        for (const parts of expanded) next.push({ parts });
        continue;
      }
      let bytes: Buffer;
      if ('bytes' in alternative) bytes = alternative.bytes;
      else if (hasWildcards(alternative.parts)) return { message: `${encoding} cannot encode a value containing wildcards` };
      else bytes = encodeText(plainText(alternative.parts), encoding);
      if (encoding === 'base64') next.push({ parts: literalPattern(bytes.toString('base64')) });
      else if (encoding === 'base64offset') for (const text of base64Offsets(bytes)) next.push({ parts: literalPattern(text) });
      else next.push({ bytes });
    }
    alternatives = next;
  }
  const patterns = alternatives.map((alternative) =>
    openPattern('bytes' in alternative ? literalPattern(alternative.bytes.toString('latin1')) : alternative.parts, chain.contains || chain.endswith, chain.contains || chain.startswith),
  );
  return { patterns: dedupePatterns(patterns) };
}

function encodeText(text: string, encoding: Exclude<EncodingModifier, 'windash'>): Buffer {
  switch (encoding) {
    case 'utf16le':
    case 'wide':
      return Buffer.from(text, 'utf16le');
    case 'utf16be':
      return Buffer.from(text, 'utf16le').swap16();
    case 'utf16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    default:
      return Buffer.from(text, 'utf8');
  }
}

/**
 * The three base64 renderings of `bytes` at byte offsets 0, 1 and 2 inside a larger blob, with the characters that depend
 * on the unknown neighbouring bytes cut off at both ends. A rendering of a very short value may be empty (it then
 * constrains nothing, as in the reference implementation).
 */
export function base64Offsets(bytes: Buffer): string[] {
  const result: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    const start = [0, 2, 3][shift] as number;
    const total = bytes.length + shift;
    const cutEnd = [0, 3, 2][total % 3] as number;
    result.push(encoded.slice(start, encoded.length - cutEnd));
  }
  return result;
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_]/.test(char);
}

/** Every `-` or `/` that starts a word may be written with any of the Windows option dashes: all permutations. */
function windash(parts: readonly PatternPart[]): PatternPart[][] | undefined {
  const slots: { part: number; offset: number }[] = [];
  parts.forEach((part, partIndex) => {
    if (part.kind !== 'text') return;
    for (let offset = 0; offset < part.text.length; offset++) {
      const char = part.text[offset] as string;
      if (!windashVariants.includes(char)) continue;
      const previous = offset > 0 ? part.text[offset - 1] : undefined;
      if (isWordChar(previous)) continue;
      if (!isWordChar(part.text[offset + 1])) continue;
      slots.push({ part: partIndex, offset });
    }
  });
  if (slots.length === 0) return [parts.slice()];
  if (slots.length > maxWindashPositions) return undefined;
  const results: PatternPart[][] = [];
  const total = windashVariants.length ** slots.length;
  for (let combination = 0; combination < total; combination++) {
    const texts = parts.map((part) => (part.kind === 'text' ? part.text.split('') : []));
    let rest = combination;
    for (const slot of slots) {
      (texts[slot.part] as string[])[slot.offset] = windashVariants[rest % windashVariants.length] as string;
      rest = Math.floor(rest / windashVariants.length);
    }
    results.push(normalizeParts(parts.map((part, index) => (part.kind === 'text' ? { kind: 'text', text: (texts[index] as string[]).join('') } : part))));
  }
  return results;
}

function patternKey(parts: readonly PatternPart[]): string {
  return parts.map((part) => (part.kind === 'text' ? 't' + part.text : part.kind)).join('\u0000');
}

function dedupePatterns(patterns: PatternPart[][]): PatternPart[][] {
  const seen = new Set<string>();
  return patterns.filter((parts) => {
    const key = patternKey(parts);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type PlaceholderResult = { values: string[]; unknown?: undefined } | { values?: undefined; unknown: string[] };

/** `expand`: every `%name%` is replaced by each of its values (all combinations); unknown names are listed. */
export function expandPlaceholders(value: string, placeholders: Readonly<Record<string, readonly string[]>> | undefined): PlaceholderResult {
  const names = [...value.matchAll(/%([^%\s]+)%/g)].map((match) => match[1] as string);
  if (names.length === 0) return { values: [value] };
  const unknown = names.filter((name) => !placeholders || !Object.hasOwn(placeholders, name));
  if (unknown.length > 0) return { unknown: [...new Set(unknown)] };
  let results = [''];
  let last = 0;
  for (const match of value.matchAll(/%([^%\s]+)%/g)) {
    const literal = value.slice(last, match.index);
    const replacements = (placeholders as Readonly<Record<string, readonly string[]>>)[match[1] as string] as readonly string[];
    results = results.flatMap((prefix) => replacements.map((replacement) => prefix + literal + replacement));
    last = (match.index ?? 0) + match[0].length;
  }
  const tail = value.slice(last);
  return { values: results.map((prefix) => prefix + tail) };
}

/** Converts a regex written for Sigma (PCRE-like, possibly with leading inline flags such as `(?i)`) into a JavaScript RegExp. */
export function compileSigmaRegex(source: string, flags: string): { regex: RegExp } | { message: string } {
  let body = source;
  let allFlags = flags;
  const inline = /^\(\?([imsx]+)\)/.exec(body);
  if (inline) {
    body = body.slice(inline[0].length);
    for (const flag of inline[1] as string) {
      if (flag === 'x') return { message: 'the x (extended) regex flag is not supported' };
      if (!allFlags.includes(flag)) allFlags += flag;
    }
  }
  try {
    return { regex: new RegExp(body, allFlags) };
  } catch (error) {
    return { message: `invalid regular expression: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** `cidr`: a test for textual IPv4/IPv6 addresses inside the network, or undefined when the CIDR is invalid. */
export function compileCidr(cidr: string): ((address: string) => boolean) | undefined {
  const slash = cidr.indexOf('/');
  const addressText = slash < 0 ? cidr : cidr.slice(0, slash);
  const network = parseAddress(addressText.trim());
  if (!network) return undefined;
  const bits = network.length * 8;
  const prefixText = slash < 0 ? String(bits) : cidr.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  return (address) => {
    const candidate = parseAddress(address.trim());
    if (!candidate || candidate.length !== network.length) return false;
    let remaining = prefix;
    for (let index = 0; remaining > 0; index++, remaining -= 8) {
      const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
      if (((candidate[index] as number) & mask) !== ((network[index] as number) & mask)) return false;
    }
    return true;
  };
}

/** Bytes of an IPv4 (4) or IPv6 (16) address in text form; undefined when it is not one. */
export function parseAddress(text: string): number[] | undefined {
  if (text.includes(':')) return parseIpv6(text);
  return parseIpv4(text);
}

function parseIpv4(text: string): number[] | undefined {
  const pieces = text.split('.');
  if (pieces.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const piece of pieces) {
    if (!/^\d{1,3}$/.test(piece)) return undefined;
    const value = Number(piece);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

function parseIpv6(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  const address = zone >= 0 ? text.slice(0, zone) : text;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const result: number[] = [];
    const pieces = half.split(':');
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index] as string;
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        result.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      result.push(parseInt(piece, 16));
    }
    return result;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}
