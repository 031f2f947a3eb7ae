// Reads one rendered Windows event as XML (wevtutil /f:xml, Get-WinEvent ToXml(), python-evtx) into a WindowsEventRecord.
// Never resolves DTDs or external entities and never recurses without bound: bad input is a VigilError with line and column.

import { VigilError } from '@vigil/common';
import { recordFromEvtxJson, type WindowsEventRecord } from './record.js';

/** One XML element; the same shape as the EVTX reader's rendered events (@vigil/evtx XmlElement). */
export interface EventXmlElement {
  /** Local name, without a namespace prefix. */
  name: string;
  attributes: Record<string, string>;
  /** Text children are unescaped strings. */
  children: (EventXmlElement | string)[];
}

/** Deepest element nesting accepted; real events nest about 5 levels. */
export const MAX_XML_DEPTH = 64;
/** Largest event text accepted (a 4104 script block part is at most about 32k characters; UserData can be larger). */
export const MAX_EVENT_XML_LENGTH = 4 * 1024 * 1024;

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.\u00b7\u00c0-\uffff]*/y;
const SPACE = /[ \t\r\n]*/y;

function localName(name: string): string {
  const cut = name.indexOf(':');
  return cut < 0 ? name : name.slice(cut + 1);
}

class XmlReader {
  position = 0;

  constructor(
    private readonly text: string,
    private readonly file: string | undefined,
  ) {}

  fail(message: string, at = this.position): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = at - lineStart + 1;
    const where = this.file ? `${this.file}:${line}:${column}` : `line ${line}, column ${column}`;
    throw new VigilError('invalid_input', `${where}: ${message}`, { location: { ...(this.file ? { file: this.file } : {}), line, column } });
  }

  skipSpace(): void {
    SPACE.lastIndex = this.position;
    SPACE.exec(this.text);
    this.position = SPACE.lastIndex;
  }

  startsWith(token: string): boolean {
    return this.text.startsWith(token, this.position);
  }

  skipPast(token: string, what: string): void {
    const end = this.text.indexOf(token, this.position);
    if (end < 0) this.fail(`unterminated ${what}`);
    this.position = end + token.length;
  }

  name(): string {
    NAME.lastIndex = this.position;
    const match = NAME.exec(this.text);
    if (!match) this.fail('expected a name');
    this.position = NAME.lastIndex;
    return match[0];
  }

  /** Predefined and numeric entities; a bare "&" or an unknown entity stays as written (renderers differ in strictness). */
  decode(raw: string): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]{1,6}|#[0-9]{1,7});/g, (entity: string, body: string) => {
      switch (body) {
        case 'lt':
          return '<';
        case 'gt':
          return '>';
        case 'amp':
          return '&';
        case 'quot':
          return '"';
        case 'apos':
          return "'";
      }
      const code = body.startsWith('#x') ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      return code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : entity;
    });
  }

  /** Skips the prolog: XML declaration, comments, processing instructions and whitespace. DOCTYPE is refused. */
  misc(): void {
    for (;;) {
      this.skipSpace();
      if (this.startsWith('<?')) this.skipPast('?>', 'processing instruction');
      else if (this.startsWith('<!--')) this.skipPast('-->', 'comment');
      else if (this.startsWith('<!DOCTYPE') || this.startsWith('<!doctype')) this.fail('DOCTYPE declarations are not accepted');
      else return;
    }
  }

  element(depth: number): EventXmlElement {
    if (depth > MAX_XML_DEPTH) this.fail(`elements nested deeper than ${MAX_XML_DEPTH} levels`);
    if (!this.startsWith('<')) this.fail('expected "<"');
    this.position++;
    const qualified = this.name();
    const element: EventXmlElement = { name: localName(qualified), attributes: {}, children: [] };
    for (;;) {
      const before = this.position;
      this.skipSpace();
      if (this.startsWith('/>')) {
        this.position += 2;
        return element;
      }
      if (this.startsWith('>')) {
        this.position++;
        break;
      }
      if (this.position === before) this.fail('expected whitespace, "/>" or ">" after a name');
      const written = this.name();
      const attributeName = written.startsWith('xmlns:') ? written : localName(written);
      this.skipSpace();
      if (!this.startsWith('=')) this.fail(`expected "=" after attribute ${attributeName}`);
      this.position++;
      this.skipSpace();
      const quote = this.text[this.position];
      if (quote !== '"' && quote !== "'") this.fail('expected a quoted attribute value');
      const start = this.position + 1;
      const end = this.text.indexOf(quote, start);
      if (end < 0) this.fail('unterminated attribute value');
      const raw = this.text.slice(start, end);
      if (raw.includes('<')) this.fail('"<" is not allowed in an attribute value', start + raw.indexOf('<'));
      if (!Object.hasOwn(element.attributes, attributeName)) {
        Object.defineProperty(element.attributes, attributeName, { value: this.decode(raw), enumerable: true, writable: true, configurable: true });
      }
      this.position = end + 1;
    }
    let text = '';
    const flush = () => {
      if (text) element.children.push(text);
      text = '';
    };
    for (;;) {
      if (this.position >= this.text.length) this.fail(`element <${qualified}> is not closed`);
      if (this.startsWith('</')) {
        const closeAt = this.position;
        this.position += 2;
        const closing = this.name();
        if (closing !== qualified) this.fail(`expected </${qualified}>, found </${closing}>`, closeAt);
        this.skipSpace();
        if (!this.startsWith('>')) this.fail('expected ">"');
        this.position++;
        flush();
        return element;
      }
      if (this.startsWith('<!--')) {
        this.skipPast('-->', 'comment');
        continue;
      }
      if (this.startsWith('<![CDATA[')) {
        const start = this.position + 9;
        this.skipPast(']]>', 'CDATA section');
        text += this.text.slice(start, this.position - 3);
        continue;
      }
      if (this.startsWith('<?')) {
        this.skipPast('?>', 'processing instruction');
        continue;
      }
      if (this.startsWith('<')) {
        flush();
        element.children.push(this.element(depth + 1));
        continue;
      }
      const next = this.text.indexOf('<', this.position);
      const end = next < 0 ? this.text.length : next;
      text += this.decode(this.text.slice(this.position, end));
      this.position = end;
    }
  }
}

/** Parses text holding one XML element (an XML declaration, comments and surrounding whitespace are allowed). */
export function parseEventXml(text: string, file?: string): EventXmlElement {
  if (text.length > MAX_EVENT_XML_LENGTH) {
    throw new VigilError('payload_too_large', `${file ? `${file}: ` : ''}event XML is ${text.length} characters; the limit is ${MAX_EVENT_XML_LENGTH}`, file ? { location: { file } } : {});
  }
  const reader = new XmlReader(text, file);
  reader.misc();
  if (reader.position >= text.length) reader.fail('no element found');
  const root = reader.element(1);
  reader.misc();
  if (reader.position < text.length) reader.fail('unexpected content after the root element');
  return root;
}

// ---- element tree → the evtx_dump JSON shape read by recordFromEvtxJson ----

type Json = string | null | Json[] | { [key: string]: Json };

function childElements(element: EventXmlElement): EventXmlElement[] {
  return element.children.filter((child): child is EventXmlElement => typeof child !== 'string');
}

/** The element's text: its string children joined (whitespace between child elements is not text of a leaf). */
function textOf(element: EventXmlElement): string {
  let text = '';
  for (const child of element.children) if (typeof child === 'string') text += child;
  return text;
}

function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Children grouped by name (repeated names become lists), or the text of a leaf. Attributes are not data. */
function dataJson(element: EventXmlElement, emptyLeaf: '' | null): Json {
  const elements = childElements(element);
  if (elements.length === 0) {
    const text = textOf(element);
    return text === '' ? emptyLeaf : text;
  }
  const out: Record<string, Json> = {};
  for (const child of elements) {
    const value = dataJson(child, emptyLeaf);
    if (!Object.hasOwn(out, child.name)) setOwn(out, child.name, value);
    else {
      const existing = out[child.name] as Json;
      if (Array.isArray(existing)) existing.push(value);
      else setOwn(out, child.name, [existing, value]);
    }
  }
  return out;
}

/** A System child as evtx_dump renders it: text, `{"#attributes": ..., "#text": ...}`, or null when empty. */
function systemJson(element: EventXmlElement): Json {
  const attributes = Object.keys(element.attributes);
  const leaf = childElements(element).length === 0;
  const text = leaf ? textOf(element) : '';
  if (attributes.length === 0) return leaf ? (text === '' ? null : text) : dataJson(element, null);
  const out: Record<string, Json> = {};
  const attributeValues: Record<string, Json> = {};
  for (const name of attributes) setOwn(attributeValues, name, element.attributes[name] as string);
  setOwn(out, '#attributes', attributeValues);
  if (text !== '') setOwn(out, '#text', text);
  return out;
}

/** EventData: `<Data Name="X">v</Data>` pairs by name; unnamed Data elements in order as `Data[1]`, `Data[2]`, ...; other children by name. */
function eventDataJson(element: EventXmlElement): Json {
  const out: Record<string, Json> = {};
  const unnamed: Json[] = [];
  for (const child of childElements(element)) {
    const name = child.name === 'Data' ? child.attributes['Name'] : undefined;
    if (child.name === 'Data' && name === undefined) {
      unnamed.push(dataJson(child, ''));
      continue;
    }
    const key = name ?? child.name;
    if (!Object.hasOwn(out, key)) setOwn(out, key, dataJson(child, ''));
  }
  if (unnamed.length) setOwn(out, 'Data', { '#text': unnamed });
  return out;
}

/**
 * The record of an `<Event>` element (its System block and EventData or UserData), with the same values as
 * recordFromEvtxJson gives for the evtx_dump JSON of the same event. VigilError('invalid_input') naming the JSON-style
 * path of the bad part (`$.Event.System.Channel`).
 */
export function recordFromEventElement(root: EventXmlElement, path = '$'): WindowsEventRecord {
  if (root.name !== 'Event') throw new VigilError('invalid_input', `${path}: expected an <Event> element, found <${root.name.slice(0, 64)}>`, { location: { path } });
  const event: Record<string, Json> = {};
  for (const child of childElements(root)) {
    if (Object.hasOwn(event, child.name)) continue;
    if (child.name === 'System') {
      const system: Record<string, Json> = {};
      for (const item of childElements(child)) if (!Object.hasOwn(system, item.name)) setOwn(system, item.name, systemJson(item));
      setOwn(event, 'System', system);
    } else if (child.name === 'EventData') setOwn(event, 'EventData', eventDataJson(child));
    else if (child.name === 'UserData') setOwn(event, 'UserData', dataJson(child, ''));
  }
  return recordFromEvtxJson({ Event: event }, path);
}

/** parseEventXml, then recordFromEventElement; errors name `file` (when given) and the line and column or the path. */
export function recordFromEventXml(text: string, file?: string): WindowsEventRecord {
  const root = parseEventXml(text, file);
  try {
    return recordFromEventElement(root);
  } catch (error) {
    if (!(error instanceof VigilError) || !file) throw error;
    throw new VigilError(error.code, `${file}: ${error.message}`, { location: { file, ...(error.location?.path ? { path: error.location.path } : {}) }, cause: error });
  }
}
