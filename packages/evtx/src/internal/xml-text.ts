// A small, tolerant XML reader for the text the reference tools print (evtxexport -f xml, evtx_dump.py), used by tests.
// Never throws on damaged or truncated text: an unclosed element at the end is dropped, unknown entities are kept.

import type { XmlElement } from '../types.js';

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replaces the five XML entities and numeric character references; anything else is kept as written. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return safeCodePoint(Number.parseInt(body.slice(2), 16), whole);
    if (body.startsWith('#')) return safeCodePoint(Number.parseInt(body.slice(1), 10), whole);
    return NAMED[body] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Calls `onElement` for every complete element whose parent is the document or an element named in `containers`
 * (for example `Events`), in document order. Text outside elements (banners, blank lines) is ignored.
 */
export function readXmlElements(text: string, onElement: (element: XmlElement) => void, containers: readonly string[] = []): void {
  const stack: XmlElement[] = [];
  let p = 0;
  const emitOrAttach = (element: XmlElement): void => {
    const parent = stack[stack.length - 1];
    if (!parent || (stack.length === 1 && containers.includes(parent.name))) onElement(element);
    if (parent && !(stack.length === 1 && containers.includes(parent.name))) parent.children.push(element);
  };
  while (p < text.length) {
    const lt = text.indexOf('<', p);
    const textEnd = lt < 0 ? text.length : lt;
    if (textEnd > p && stack.length > 0) {
      const parent = stack[stack.length - 1]!;
      const value = decodeEntities(text.slice(p, textEnd));
      const last = parent.children.length - 1;
      if (last >= 0 && typeof parent.children[last] === 'string') parent.children[last] = (parent.children[last] as string) + value;
      else parent.children.push(value);
    }
    if (lt < 0) break;
    if (text.startsWith('<![CDATA[', lt)) {
      const close = text.indexOf(']]>', lt);
      const stop = close < 0 ? text.length : close;
      if (stack.length > 0) stack[stack.length - 1]!.children.push(text.slice(lt + 9, stop));
      p = close < 0 ? text.length : close + 3;
      continue;
    }
    if (text.startsWith('<!--', lt)) {
      const close = text.indexOf('-->', lt);
      p = close < 0 ? text.length : close + 3;
      continue;
    }
    if (text.startsWith('<?', lt)) {
      const close = text.indexOf('?>', lt);
      const body = text.slice(lt + 2, close < 0 ? text.length : close);
      p = close < 0 ? text.length : close + 2;
      if (stack.length === 0) continue; // the XML declaration
      const space = body.search(/\s/);
      const target = space < 0 ? body : body.slice(0, space);
      const data = space < 0 ? '' : body.slice(space + 1);
      emitOrAttach({ name: `?${target}`, attributes: {}, children: data === '' ? [] : [data] });
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) break;
    const tag = text.slice(lt + 1, gt);
    p = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      // close up to the matching open element; a stray end tag is ignored
      const index = stack.map((e) => e.name).lastIndexOf(name);
      if (index < 0) continue;
      while (stack.length > index) {
        const element = stack.pop()!;
        emitOrAttach(element);
      }
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const nameEnd = body.search(/[\s]/);
    const name = nameEnd < 0 ? body : body.slice(0, nameEnd);
    const attributes: Record<string, string> = {};
    if (nameEnd >= 0) {
      for (const match of body.slice(nameEnd).matchAll(ATTRIBUTE)) {
        Object.defineProperty(attributes, match[1]!, { value: decodeEntities(match[2] ?? match[3] ?? ''), enumerable: true, writable: true, configurable: true });
      }
    }
    const element: XmlElement = { name, attributes, children: [] };
    if (selfClosing) emitOrAttach(element);
    else stack.push(element);
  }
}
