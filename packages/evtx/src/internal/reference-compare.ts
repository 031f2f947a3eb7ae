// Compares our rendered events with the renderings of the reference parsers (evtxexport, python-evtx), for tests.
// Every normalisation applied is listed here and in docs/windows.md; anything not listed counts as a difference.

import type { XmlElement } from '../types.js';

export type ReferenceDialect = 'evtxexport' | 'python-evtx';

export interface Difference {
  /** Element path such as `Event/EventData/Data[Name=CommandLine]` or `.../@SystemTime`. */
  path: string;
  ours: string;
  reference: string;
}

/** Characters python-evtx deletes from every value (XML 1.1 restricted characters). */
const PYTHON_RESTRICTED = /[\x01-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F]/g;
/** python-evtx turns FILETIME into a float of seconds: for present-day times it is up to a few microseconds off. */
const PYTHON_TIME_TOLERANCE_US = 5n;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z?$/;

function elementChildren(element: XmlElement): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== 'string');
}

function textOf(element: XmlElement): string {
  return element.children.filter((c): c is string => typeof c === 'string').join('');
}

/** Microseconds since 1970 of an ISO-like timestamp, or undefined. */
function micros(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  if (Number.isNaN(ms)) return undefined;
  const fraction = (m[3] ?? '').padEnd(9, '0');
  return BigInt(ms) * 1000n + BigInt(fraction.slice(0, 6));
}

function base64Hex(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64').toString('hex').toUpperCase();
}

function integerValue(text: string): bigint | undefined {
  if (/^-?\d+$/.test(text)) return BigInt(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return BigInt(text);
  return undefined;
}

/**
 * Whether python-evtx's text for a value means the same as ours. python-evtx prints FILETIME with a space and
 * microseconds (computed through a float, so a few µs off), SYSTEMTIME milliseconds as microseconds, GUIDs in lower case, booleans as True/False,
 * binary as base64, size_t in decimal, and deletes XML-restricted control characters.
 */
function pythonEquivalent(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  const stripped = ours.replace(PYTHON_RESTRICTED, '');
  if (stripped === theirs) return true;
  if (stripped.toLowerCase() === theirs.toLowerCase()) return true;
  // python-evtx prints SYSTEMTIME milliseconds as microseconds: 13:45:30.123 becomes 13:45:30.000123
  const systemtime = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.(\d{3})Z$/.exec(ours);
  if (systemtime && theirs === `${systemtime[1]} ${systemtime[2]}.000${systemtime[3]}`) return true;
  const a = micros(ours);
  const b = micros(theirs);
  if (a !== undefined && b !== undefined) return a - b <= PYTHON_TIME_TOLERANCE_US && b - a <= PYTHON_TIME_TOLERANCE_US;
  if (/^[0-9A-F]*$/.test(ours) && base64Hex(theirs) === ours) return true;
  const x = integerValue(ours);
  const y = integerValue(theirs);
  return x !== undefined && y !== undefined && x === y;
}

/** evtxexport prints reals in C's %e form with 7 significant digits ("3.199234e+003"); the value must agree to that precision. */
function sameReal(ours: string, theirs: string): boolean {
  if (!/^-?\d\.\d+e[+-]\d+$/.test(theirs)) return false;
  const a = Number(ours);
  const b = Number(theirs);
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= Math.abs(b) * 1e-6;
}

/** Both are `0x` hex numbers of the same value: evtxexport and python-evtx zero-pad HexInt32/64 to 8/16 digits,
 * we print them as Windows does ("0x3e7"). */
function sameHex(ours: string, theirs: string): boolean {
  return /^0x[0-9a-f]+$/.test(ours) && /^0x[0-9a-fA-F]+$/.test(theirs) && BigInt(ours) === BigInt(theirs);
}

/**
 * Whether evtxexport's text means the same as ours: it zero-pads hex integers, prints reals in %e form and leaves out
 * values that are only whitespace (an EventData value of "\n" becomes an empty element).
 */
function evtxexportEquivalent(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  if (theirs === '' && ours.trim() === '') return true;
  return sameHex(ours, theirs) || sameReal(ours, theirs);
}

/** python-evtx prints a string array as `<string>a</string>\n<string>b</string>\n` inside one element. */
function expandPythonStringArrays(element: XmlElement): XmlElement[] {
  const text = textOf(element);
  const kids = elementChildren(element);
  if (kids.length === 0 && /^(?:<string>[\s\S]*?<\/string>\n)+$/.test(text)) {
    const items = [...text.matchAll(/<string>([\s\S]*?)<\/string>\n/g)].map((m) => m[1] ?? '');
    return items.filter((item) => item !== '').map((item) => ({ name: element.name, attributes: element.attributes, children: [item] }));
  }
  return [{ name: element.name, attributes: element.attributes, children: element.children.flatMap((c): (XmlElement | string)[] => (typeof c === 'string' ? [c] : expandPythonStringArrays(c))) }];
}

/** Element children without formatting whitespace; for python-evtx also without the empty elements it prints for absent optional values. */
function significantChildren(element: XmlElement, dialect: ReferenceDialect): XmlElement[] {
  const kids = elementChildren(element);
  if (dialect === 'evtxexport') return kids;
  return kids.filter((k) => !isEmptyForPython(k) || k.name === 'System');
}

/**
 * python-evtx renders absent optional values as empty elements and attributes (`<Data Name="x"></Data>`,
 * `<Correlation ActivityID="">`) where Windows and evtxexport leave them out; elements without any text, on either
 * side, are therefore not compared.
 */
function isEmptyForPython(element: XmlElement): boolean {
  return element.children.every((c) => (typeof c === 'string' ? c.trim() === '' : isEmptyForPython(c)));
}

/**
 * python-evtx splits a string array at every UTF-16 unit whose low byte is zero and drops that unit, so an item
 * holding "└─" (U+2514 U+2500) becomes two items without the U+2500. The element lists agree when their texts, joined
 * and without such units, agree.
 */
function samePythonSplitText(ours: XmlElement[], theirs: XmlElement[]): boolean {
  const strip = (text: string) => text.replace(/[\u0100-\uffff]/g, (ch) => ((ch.charCodeAt(0) & 0xff) === 0 ? '' : ch));
  const a = strip(ours.map(textOf).join(''));
  const b = theirs.map(textOf).join('');
  return ours.some((k) => /[\u0100-\uffff]/.test(textOf(k))) && a === strip(b);
}

/**
 * python-evtx's string-array splitter searches for the first non-empty item anywhere and then cuts from the start, so
 * an array with empty items comes out reordered, with duplicates and with tails of items (`["", "", "1176", "60"]`
 * becomes `["1176", "176", "60"]`). When our array has empty items, the lists agree if they hold the same element
 * names, every non-empty item of ours is in python-evtx's, and each of python-evtx's is one of ours or a tail of one.
 */
function samePythonItems(ours: XmlElement[], theirs: XmlElement[]): boolean {
  if (ours.some((k) => elementChildren(k).length > 0) || theirs.some((k) => elementChildren(k).length > 0)) return false;
  if (!ours.some((k) => textOf(k) === '')) return false;
  const names = (kids: XmlElement[]) => [...new Set(kids.map((k) => k.name))].sort().join(',');
  if (names(ours) !== names(theirs)) return false;
  const a = [...new Set(ours.map(textOf).filter((t) => t !== ''))];
  const b = [...new Set(theirs.map(textOf).filter((t) => t !== ''))];
  return a.every((x) => b.some((y) => pythonEquivalent(x, y))) && b.every((y) => a.some((x) => pythonEquivalent(x, y) || x.endsWith(y)));
}

function label(element: XmlElement): string {
  const name = element.attributes['Name'];
  return name !== undefined ? `${element.name}[Name=${name}]` : element.name;
}

function compareInto(ours: XmlElement, theirs: XmlElement, dialect: ReferenceDialect, path: string, out: Difference[]): void {
  const here = `${path}/${label(ours)}`;
  if (ours.name !== theirs.name) {
    out.push({ path: here, ours: `<${ours.name}>`, reference: `<${theirs.name}>` });
    return;
  }
  const names = new Set([...Object.keys(ours.attributes), ...Object.keys(theirs.attributes)]);
  for (const name of names) {
    const a = Object.hasOwn(ours.attributes, name) ? ours.attributes[name] : undefined;
    const b = Object.hasOwn(theirs.attributes, name) ? theirs.attributes[name] : undefined;
    if (dialect === 'python-evtx') {
      if ((a ?? '') === '' && (b ?? '') === '') continue;
      if (a !== undefined && b !== undefined && pythonEquivalent(a, b)) continue;
    } else if (a !== undefined && b !== undefined && evtxexportEquivalent(a, b)) continue;
    out.push({ path: `${here}/@${name}`, ours: a ?? '(absent)', reference: b ?? '(absent)' });
  }
  let ourKids = significantChildren(ours, dialect);
  const theirKids = significantChildren(theirs, dialect);
  // evtxexport stops after the first XML fragment of a record, so it never shows the RenderingInfo that forwarded and
  // some ETW-backed events carry after EventData; python-evtx stops there too.
  if (path === '' && ourKids.length === theirKids.length + 1 && ourKids[ourKids.length - 1]!.name === 'RenderingInfo' && !theirKids.some((k) => k.name === 'RenderingInfo')) {
    ourKids = ourKids.slice(0, -1);
  }
  if (ourKids.length === 0 && theirKids.length === 0) {
    const a = textOf(ours);
    const b = textOf(theirs);
    const same = dialect === 'python-evtx' ? pythonEquivalent(a, b) || pythonEquivalent(a.trim(), b.trim()) : evtxexportEquivalent(a, b);
    if (!same) out.push({ path: here, ours: a, reference: b });
    return;
  }
  if (ourKids.length !== theirKids.length && dialect === 'python-evtx' && (samePythonSplitText(ourKids, theirKids) || samePythonItems(elementChildren(ours), theirKids))) return;
  if (ourKids.length !== theirKids.length) {
    out.push({ path: here, ours: `${ourKids.length} child elements (${ourKids.map(label).join(', ')})`, reference: `${theirKids.length} child elements (${theirKids.map(label).join(', ')})` });
    return;
  }
  for (let i = 0; i < ourKids.length; i++) compareInto(ourKids[i]!, theirKids[i]!, dialect, here, out);
}

/** The differences between our event and a reference tool's rendering of the same record (empty when they agree). */
export function compareEvents(ours: XmlElement, reference: XmlElement, dialect: ReferenceDialect): Difference[] {
  const out: Difference[] = [];
  const theirs = dialect === 'python-evtx' ? expandPythonStringArrays(reference)[0] ?? reference : reference;
  compareInto(ours, theirs, dialect, '', out);
  return out;
}

/** The EventRecordID text of a rendered event (how reference renderings are matched to our records). */
export function eventRecordId(event: XmlElement): string | undefined {
  const system = elementChildren(event).find((e) => e.name === 'System');
  const id = system && elementChildren(system).find((e) => e.name === 'EventRecordID');
  return id ? textOf(id).trim() : undefined;
}
