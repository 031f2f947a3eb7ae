// Binary XML of one EVTX chunk: names, template definitions (compiled once per chunk), template instances and values.
// Every offset is chunk-relative and bounds-checked; every loop advances; work per chunk and output per record are capped.

import type { XmlElement } from '../types.js';
import { u16, u32, utf16 } from './bytes.js';
import { readUnsizedValue, renderSizedValue, VALUE_ARRAY_FLAG, VALUE_BINXML, valueTypeName } from './values.js';

/** Chunk data area start: names, templates and records all live at or after it. */
export const CHUNK_DATA_START = 512;
/** Deepest element nesting accepted inside one fragment. */
const MAX_ELEMENT_DEPTH = 64;
/** Deepest nesting of binary XML values and template instances inside one another. */
const MAX_FRAGMENT_DEPTH = 8;
/** Elements one record may render to (array and template expansion can multiply them). */
export const MAX_NODES_PER_RECORD = 100_000;
/** Characters of text one record may render to (values repeated by a template or an array count every time). */
export const MAX_TEXT_PER_RECORD = 8 * 1024 * 1024;
/** Characters of text all records of one chunk may render to. */
export const MAX_TEXT_PER_CHUNK = 32 * 1024 * 1024;
/** Elements all records of one chunk may render to (the corpus peaks at ~7,300 nodes; memory stays bounded). */
export const MAX_NODES_PER_CHUNK = 500_000;
/**
 * Tokens parsed per chunk across all its records, templates and carving attempts: four linear passes over 64 KiB
 * (the corpus peaks at ~6,000), so overlapping hostile record frames cannot make one chunk cost more than that.
 */
export const MAX_TOKENS_PER_CHUNK = 262_144;
/** Longest element or attribute name, in UTF-16 units. */
const MAX_NAME_CHARS = 0x4000;

/** A problem inside binary XML; caught by the chunk reader and turned into an EvtxProblem. */
export class BinXmlError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Per-chunk state: the bytes, caches and the remaining work budget. */
export interface ChunkState {
  b: Buffer;
  /** Valid bytes in `b` (less than 64 KiB for a truncated last chunk). */
  size: number;
  names: Map<number, string>;
  templates: Map<number, Template | BinXmlError>;
  tokenBudget: number;
  /** Output nodes left for the record being rendered. */
  nodeBudget: number;
  /** Output nodes left for the whole chunk. */
  chunkNodeBudget: number;
  /** Characters of text left for the record being rendered, and for the whole chunk. */
  textBudget: number;
  chunkTextBudget: number;
  /**
   * Templates of other chunks of the file by template id, used when this chunk no longer holds the template a record
   * names (its definition was overwritten or zeroed). Set when the record being rendered used one.
   */
  fallback: ReadonlyMap<number, Template> | undefined;
  usedFallback: boolean;
}

export function createChunkState(b: Buffer, size: number, fallback?: ReadonlyMap<number, Template>): ChunkState {
  return {
    b,
    size,
    names: new Map(),
    templates: new Map(),
    tokenBudget: MAX_TOKENS_PER_CHUNK,
    nodeBudget: MAX_NODES_PER_RECORD,
    chunkNodeBudget: MAX_NODES_PER_CHUNK,
    textBudget: MAX_TEXT_PER_RECORD,
    chunkTextBudget: MAX_TEXT_PER_CHUNK,
    fallback,
    usedFallback: false,
  };
}

/** The templates this chunk compiled without error, by template id (the first 32 bits of their GUID), with their GUID. */
export function compiledTemplates(c: ChunkState): { id: number; guid: string; template: Template }[] {
  const out: { id: number; guid: string; template: Template }[] = [];
  for (const [offset, template] of c.templates) {
    if (template instanceof BinXmlError) continue;
    out.push({ id: u32(c.b, offset + 4), guid: c.b.toString('hex', offset + 4, offset + 20), template });
  }
  return out;
}

// ---- compiled form ----

/** A substitution placeholder in a template. */
interface Sub {
  kind: 1;
  index: number;
  optional: boolean;
}

/** An element of a template (or of direct binary XML, which has no substitutions). */
interface Elem {
  kind: 2;
  name: string;
  attributes: Attr[];
  content: Item[];
  /** Whether any substitution occurs in the content (directly) or attributes. */
  direct: boolean;
}

interface Attr {
  name: string;
  parts: (string | Sub)[];
}

/** Nodes already rendered (a template instance met inside direct binary XML). */
interface Rendered {
  kind: 3;
  nodes: (XmlElement | string)[];
}

type Item = string | Sub | Elem | Rendered;

export interface Template {
  items: Item[];
}

/** A rendered binary XML substitution value; its nodes are handed out once and copied for any further use. */
class NodesValue {
  used = false;
  constructor(readonly nodes: (XmlElement | string)[]) {}
}

/** A substitution value: text, array items, nested XML, or null (the null type). */
type Value = string | string[] | NodesValue | null;

// ---- parsing ----

interface ParseState {
  c: ChunkState;
  b: Buffer;
  pos: number;
  end: number;
  /** Whether element headers carry a 16-bit dependency identifier (template definitions do). */
  depId: boolean;
  /** Parsing a template definition: substitutions allowed, template instances not. */
  template: boolean;
  fragmentDepth: number;
}

function fail(st: ParseState, message: string): never {
  throw new BinXmlError(message, st.pos);
}

function spend(st: ParseState): void {
  if (--st.c.tokenBudget < 0) fail(st, `more than ${MAX_TOKENS_PER_CHUNK} binary XML tokens in one chunk`);
}

/** The name stored at chunk offset `offset` (next-offset, hash, character count, characters, NUL). */
function nameAt(st: ParseState, offset: number): string {
  const cached = st.c.names.get(offset);
  if (cached !== undefined) return cached;
  if (offset + 8 > st.c.size) fail(st, `name at offset ${offset} is outside the chunk`);
  const chars = u16(st.b, offset + 6);
  if (chars > MAX_NAME_CHARS || offset + 8 + 2 * chars > st.c.size) fail(st, `name at offset ${offset} has a bad length ${chars}`);
  const name = utf16(st.b, offset + 8, offset + 8 + 2 * chars);
  st.c.names.set(offset, name);
  return name;
}

/** Whether a name offset read at `field` is plausible: stored inline right after the field, or earlier in the chunk. */
function nameOffsetPlausible(b: Buffer, field: number, tokenStart: number): boolean {
  const offset = u32(b, field);
  return offset === field + 4 || (offset >= CHUNK_DATA_START && offset < tokenStart);
}

/** Reads a name reference whose 32-bit offset is at st.pos, skipping an inline name; advances st.pos. */
function readName(st: ParseState, tokenStart: number): string {
  if (st.pos + 4 > st.end) fail(st, 'name offset past the end');
  const offset = u32(st.b, st.pos);
  st.pos += 4;
  if (offset === st.pos) {
    if (st.pos + 8 > st.end) fail(st, 'inline name past the end');
    const chars = u16(st.b, st.pos + 6);
    const stop = st.pos + 8 + 2 * chars + 2;
    if (stop > st.end) fail(st, 'inline name past the end');
    const name = nameAt(st, offset);
    st.pos = stop;
    return name;
  }
  if (offset < CHUNK_DATA_START || offset >= tokenStart) fail(st, `name offset ${offset} points outside the data before it`);
  return nameAt(st, offset);
}

function pushText(items: Item[], text: string): void {
  if (text === '') return;
  const last = items.length - 1;
  if (last >= 0 && typeof items[last] === 'string') items[last] = (items[last] as string) + text;
  else items.push(text);
}

function xmlEntity(name: string): string {
  switch (name) {
    case 'amp': return '&';
    case 'lt': return '<';
    case 'gt': return '>';
    case 'quot': return '"';
    case 'apos': return "'";
    default: return `&${name};`;
  }
}

/** Length-prefixed UTF-16 text (16-bit character count) at st.pos; advances st.pos. */
function readPrefixedText(st: ParseState): string {
  if (st.pos + 2 > st.end) fail(st, 'text length past the end');
  const stop = st.pos + 2 + 2 * u16(st.b, st.pos);
  if (stop > st.end) fail(st, 'text past the end');
  const text = utf16(st.b, st.pos + 2, stop);
  st.pos = stop;
  return text;
}

function readSubstitution(st: ParseState, optional: boolean): Sub {
  if (!st.template) fail(st, 'substitution outside a template');
  if (st.pos + 4 > st.end) fail(st, 'substitution past the end');
  const index = u16(st.b, st.pos + 1);
  st.pos += 4; // token, index, value type (the instance's descriptor decides the type)
  return { kind: 1, index, optional };
}

function readValueToken(st: ParseState): string {
  if (st.pos + 2 > st.end) fail(st, 'value past the end');
  const type = st.b[st.pos + 1]!;
  const value = readUnsizedValue(st.b, type, st.pos + 2, st.end);
  if (!value) fail(st, `value of type ${valueTypeName(type)} does not fit`);
  st.pos = value.end;
  return value.text;
}

/** Attribute value tokens (values, substitutions, references) until the next attribute or the end of the start tag. */
function readAttributeValue(st: ParseState): (string | Sub)[] {
  const parts: (string | Sub)[] = [];
  for (;;) {
    if (st.pos >= st.end) fail(st, 'attribute past the end');
    spend(st);
    const token = st.b[st.pos]! & 0xbf;
    if (token === 0x05) {
      const text = readValueToken(st);
      if (typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] = (parts[parts.length - 1] as string) + text;
      else if (text !== '') parts.push(text);
    } else if (token === 0x0d || token === 0x0e) {
      parts.push(readSubstitution(st, token === 0x0e));
    } else if (token === 0x08) {
      if (st.pos + 3 > st.end) fail(st, 'character reference past the end');
      parts.push(String.fromCharCode(u16(st.b, st.pos + 1)));
      st.pos += 3;
    } else if (token === 0x09) {
      const start = st.pos;
      st.pos++;
      parts.push(xmlEntity(readName(st, start)));
    } else {
      return parts;
    }
  }
}

function parseElement(st: ParseState, depth: number): Elem {
  if (depth > MAX_ELEMENT_DEPTH) fail(st, `elements nested deeper than ${MAX_ELEMENT_DEPTH}`);
  const start = st.pos;
  const b = st.b;
  const hasAttributes = (b[start]! & 0x40) !== 0;
  if (start + 13 > st.end) fail(st, 'element header past the end');
  // Element headers carry a dependency identifier in template definitions but not in direct record XML or nested
  // binary XML values; when the expected layout gives an impossible name offset, the other one is tried.
  let depId = st.depId;
  if (!nameOffsetPlausible(b, start + (depId ? 7 : 5), start) && nameOffsetPlausible(b, start + (depId ? 5 : 7), start)) depId = !depId;
  st.pos = start + (depId ? 7 : 5);
  const name = readName(st, start);
  if (hasAttributes) st.pos += 4;
  const attributes: Attr[] = [];
  let direct = false;
  for (;;) {
    if (st.pos >= st.end) fail(st, 'start tag past the end');
    spend(st);
    const token = b[st.pos]! & 0xbf;
    if (token !== 0x06) break;
    const attributeStart = st.pos;
    st.pos++;
    const attributeName = readName(st, attributeStart);
    const parts = readAttributeValue(st);
    for (const part of parts) if (typeof part !== 'string') direct = true;
    attributes.push({ name: attributeName, parts });
  }
  const close = b[st.pos]!;
  if (close === 0x03) {
    st.pos++;
    return { kind: 2, name, attributes, content: [], direct };
  }
  if (close !== 0x02) fail(st, `expected the end of the start tag of <${name}>, found token 0x${close.toString(16)}`);
  st.pos++;
  const content = parseContent(st, depth, true);
  for (const item of content) if (typeof item !== 'string' && item.kind === 1) direct = true;
  return { kind: 2, name, attributes, content, direct };
}

/** Content tokens until the element's end tag (inElement) or the fragment's end-of-stream token. */
function parseContent(st: ParseState, depth: number, inElement: boolean): Item[] {
  const items: Item[] = [];
  const b = st.b;
  for (;;) {
    if (st.pos >= st.end) {
      if (inElement) fail(st, 'element not closed before the end');
      return items;
    }
    spend(st);
    const token = b[st.pos]! & 0xbf;
    switch (token) {
      case 0x00: // end of stream
        if (inElement) fail(st, 'end of stream inside an element');
        st.pos++;
        return items;
      case 0x0f: // fragment header: token, major, minor, flags
        if (st.pos + 4 > st.end) fail(st, 'fragment header past the end');
        st.pos += 4;
        break;
      case 0x01:
        items.push(parseElement(st, depth + 1));
        break;
      case 0x04:
        if (!inElement) fail(st, 'end tag outside an element');
        st.pos++;
        return items;
      case 0x05:
        pushText(items, readValueToken(st));
        break;
      case 0x07: // CDATA section: its text is content like any other
        st.pos++;
        pushText(items, readPrefixedText(st));
        break;
      case 0x08:
        if (st.pos + 3 > st.end) fail(st, 'character reference past the end');
        pushText(items, String.fromCharCode(u16(b, st.pos + 1)));
        st.pos += 3;
        break;
      case 0x09: {
        const start = st.pos;
        st.pos++;
        pushText(items, xmlEntity(readName(st, start)));
        break;
      }
      case 0x0a: {
        // processing instruction: a target name, normally followed by a data token
        const start = st.pos;
        st.pos++;
        const target = readName(st, start);
        let data = '';
        if (st.pos < st.end && b[st.pos] === 0x0b) {
          st.pos++;
          data = readPrefixedText(st);
        }
        items.push({ kind: 2, name: `?${target}`, attributes: [], content: data === '' ? [] : [data], direct: false });
        break;
      }
      case 0x0b:
        st.pos++;
        items.push({ kind: 2, name: '?', attributes: [], content: [readPrefixedText(st)], direct: false });
        break;
      case 0x0c:
        if (st.template) fail(st, 'template instance inside a template definition');
        items.push({ kind: 3, nodes: readTemplateInstance(st) });
        break;
      case 0x0d:
      case 0x0e:
        items.push(readSubstitution(st, token === 0x0e));
        break;
      default:
        fail(st, `unknown binary XML token 0x${b[st.pos]!.toString(16).padStart(2, '0')}`);
    }
  }
}

/** The template defined at chunk offset `offset`, compiled on first use and cached for the chunk. */
function templateAt(st: ParseState, offset: number): Template {
  const c = st.c;
  const cached = c.templates.get(offset);
  if (cached !== undefined) {
    if (cached instanceof BinXmlError) throw cached;
    return cached;
  }
  let result: Template | BinXmlError;
  try {
    if (offset < CHUNK_DATA_START || offset + 24 > c.size) fail(st, `template offset ${offset} is outside the chunk`);
    const dataSize = u32(c.b, offset + 20);
    if (offset + 24 + dataSize > c.size) fail(st, `template at offset ${offset} overruns the chunk (${dataSize} bytes)`);
    if (dataSize < 5 || c.b[offset + 24] !== 0x0f || c.b[offset + 25] !== 0x01) fail(st, `no template at offset ${offset} (no binary XML fragment header)`);
    const inner: ParseState = { c, b: c.b, pos: offset + 24, end: offset + 24 + dataSize, depId: true, template: true, fragmentDepth: st.fragmentDepth };
    const items = parseContent(inner, 0, false);
    if (!items.some((item) => typeof item !== 'string' && item.kind === 2)) fail(inner, `template at offset ${offset} holds no element`);
    result = { items };
  } catch (error) {
    if (!(error instanceof BinXmlError)) throw error;
    result = new BinXmlError(`template at offset ${offset}: ${error.message}`, error.offset);
  }
  c.templates.set(offset, result);
  if (result instanceof BinXmlError) throw result;
  return result;
}

/** A template instance token at st.pos: template reference, value descriptors and values, rendered to nodes. */
function readTemplateInstance(st: ParseState): (XmlElement | string)[] {
  if (st.fragmentDepth >= MAX_FRAGMENT_DEPTH) fail(st, `binary XML nested deeper than ${MAX_FRAGMENT_DEPTH}`);
  const b = st.b;
  if (st.pos + 10 > st.end) fail(st, 'template instance past the end');
  const templateId = u32(b, st.pos + 2);
  const definition = u32(b, st.pos + 6);
  st.pos += 10;
  if (definition === st.pos) {
    if (st.pos + 24 > st.end) fail(st, 'inline template definition past the end');
    const next = st.pos + 24 + u32(b, st.pos + 20);
    if (next > st.end) fail(st, 'inline template definition past the end');
    st.pos = next;
  }
  let template: Template;
  try {
    template = templateAt(st, definition);
    // The instance names its template twice: by offset and by the first 32 bits of the template's GUID. In damaged or
    // recycled chunks the offset can hold another template (or none); rendering with it would produce a wrong event.
    if (u32(st.c.b, definition + 4) !== templateId) fail(st, `template at offset ${definition} is not the one the record names (id 0x${templateId.toString(16)})`);
  } catch (error) {
    const known = error instanceof BinXmlError ? st.c.fallback?.get(templateId) : undefined;
    if (!known) throw error;
    template = known;
    st.c.usedFallback = true;
  }
  if (st.pos + 4 > st.end) fail(st, 'value count past the end');
  const count = u32(b, st.pos);
  st.pos += 4;
  if (count * 4 > st.end - st.pos) fail(st, `${count} values do not fit in the record`);
  const values: Value[] = new Array<Value>(count);
  let p = st.pos + count * 4;
  for (let i = 0; i < count; i++) {
    const size = u16(b, st.pos + 4 * i);
    const type = b[st.pos + 4 * i + 2]!;
    const stop = p + size;
    if (stop > st.end) fail(st, `value ${i} (${valueTypeName(type)}, ${size} bytes) overruns the record`);
    if (type === VALUE_BINXML) {
      values[i] = size === 0 ? null : new NodesValue(renderFragment(st.c, p, stop, st.fragmentDepth + 1));
    } else if (type === (VALUE_BINXML | VALUE_ARRAY_FLAG)) {
      values[i] = size === 0 ? null : new NodesValue(renderFragment(st.c, p, stop, st.fragmentDepth + 1));
    } else {
      values[i] = renderSizedValue(b, type, p, stop);
    }
    p = stop;
  }
  st.pos = p;
  const out: (XmlElement | string)[] = [];
  instantiateItems(st, template.items, values, out);
  return out;
}

/** Renders the binary XML fragment in `[start, end)` of the chunk (direct XML or a template instance) to nodes. */
function renderFragment(c: ChunkState, start: number, end: number, fragmentDepth: number): (XmlElement | string)[] {
  const st: ParseState = { c, b: c.b, pos: start, end, depId: false, template: false, fragmentDepth };
  if (fragmentDepth > MAX_FRAGMENT_DEPTH) fail(st, `binary XML nested deeper than ${MAX_FRAGMENT_DEPTH}`);
  const items = parseContent(st, 0, false);
  const out: (XmlElement | string)[] = [];
  instantiateItems(st, items, [], out);
  return out;
}

// ---- instantiation ----

function spendText(st: ParseState, length: number): void {
  if ((st.c.textBudget -= length) < 0) fail(st, `record renders to more than ${MAX_TEXT_PER_RECORD} characters`);
  if ((st.c.chunkTextBudget -= length) < 0) fail(st, `the chunk's records render to more than ${MAX_TEXT_PER_CHUNK} characters`);
}

function countNode(st: ParseState): void {
  if (--st.c.nodeBudget < 0) fail(st, `record renders to more than ${MAX_NODES_PER_RECORD} nodes`);
  if (--st.c.chunkNodeBudget < 0) fail(st, `the chunk's records render to more than ${MAX_NODES_PER_CHUNK} nodes`);
}

function appendText(st: ParseState, out: (XmlElement | string)[], text: string): void {
  if (text === '') return;
  spendText(st, text.length);
  const last = out.length - 1;
  if (last >= 0 && typeof out[last] === 'string') out[last] = (out[last] as string) + text;
  else out.push(text);
}

function setAttribute(attributes: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(attributes, name, { value, enumerable: true, writable: true, configurable: true });
  else attributes[name] = value;
}

function nodesText(nodes: readonly (XmlElement | string)[]): string {
  let s = '';
  for (const node of nodes) s += typeof node === 'string' ? node : nodesText(node.children);
  return s;
}

function valueText(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(',');
  return nodesText(value.nodes);
}

/** An optional substitution whose value has the null type (or is missing) is left out; an empty string is kept. */
function isSuppressed(sub: Sub, values: Value[]): boolean {
  return sub.optional && (values[sub.index] === null || values[sub.index] === undefined);
}

function instantiateItems(st: ParseState, items: readonly Item[], values: Value[], out: (XmlElement | string)[]): void {
  for (const item of items) {
    if (typeof item === 'string') {
      appendText(st, out, item);
      continue;
    }
    switch (item.kind) {
      case 1: {
        const value = values[item.index];
        if (value === null || value === undefined) break;
        if (typeof value === 'string') appendText(st, out, value);
        else if (Array.isArray(value)) appendText(st, out, value.join(','));
        else {
          const copy = value.used;
          value.used = true;
          for (const node of value.nodes) {
            if (typeof node === 'string') appendText(st, out, node);
            else out.push(copy ? cloneElement(st, node) : node);
          }
        }
        break;
      }
      case 2:
        instantiateElement(st, item, values, out);
        break;
      case 3:
        for (const node of item.nodes) typeof node === 'string' ? appendText(st, out, node) : out.push(node);
        break;
    }
  }
}

/** Deep copy of rendered nodes, so that a value used twice never shares objects between two places of one event. */
function cloneElement(st: ParseState, element: XmlElement): XmlElement {
  countNode(st);
  const children: (XmlElement | string)[] = [];
  for (const child of element.children) {
    if (typeof child === 'string') children.push(child);
    else children.push(cloneElement(st, child));
  }
  return { name: element.name, attributes: { ...element.attributes }, children };
}

function instantiateElement(st: ParseState, element: Elem, values: Value[], out: (XmlElement | string)[]): void {
  let arrayIndex = -1;
  if (element.direct) {
    // An element whose whole content is optional substitutions without values is left out (as Windows and evtxexport
    // render it); other content keeps the element and only the empty substitution is skipped.
    let suppressed = element.content.length > 0;
    for (const item of element.content) {
      if (typeof item === 'string' || item.kind !== 1) {
        suppressed = false;
        continue;
      }
      if (!isSuppressed(item, values)) suppressed = false;
      if (arrayIndex < 0 && Array.isArray(values[item.index])) arrayIndex = item.index;
    }
    if (suppressed) return;
  }
  const items = arrayIndex < 0 ? undefined : (values[arrayIndex] as string[]);
  if (items === undefined || items.length === 0) {
    out.push(buildElement(st, element, values));
    return;
  }
  // An array value in element content repeats the element once per item (an empty array renders it once, empty).
  const perItem = values.slice();
  for (const value of items) {
    perItem[arrayIndex] = value;
    out.push(buildElement(st, element, perItem));
  }
}

function buildElement(st: ParseState, element: Elem, values: Value[]): XmlElement {
  countNode(st);
  const attributes: Record<string, string> = {};
  for (const attribute of element.attributes) {
    let text = '';
    let keep = true;
    for (const part of attribute.parts) {
      if (typeof part === 'string') text += part;
      else if (isSuppressed(part, values)) keep = false;
      else text += valueText(values[part.index] ?? null);
    }
    spendText(st, text.length);
    if (keep) setAttribute(attributes, attribute.name, text);
  }
  const children: (XmlElement | string)[] = [];
  if (element.content.length > 0) instantiateItems(st, element.content, values, children);
  return { name: element.name, attributes, children };
}

/**
 * Renders the binary XML of one record (`[start, end)` in the chunk) to its root element.
 * Throws BinXmlError when the XML is damaged or renders to no element.
 */
export function renderRecord(c: ChunkState, start: number, end: number): XmlElement {
  c.nodeBudget = MAX_NODES_PER_RECORD;
  c.textBudget = MAX_TEXT_PER_RECORD;
  const nodes = renderFragment(c, start, end, 0);
  let root: XmlElement | undefined;
  for (const node of nodes) {
    if (typeof node === 'string') continue;
    if (node.name.startsWith('?')) continue;
    root = node;
    break;
  }
  if (!root) throw new BinXmlError('the record holds no XML element', start);
  return root;
}
