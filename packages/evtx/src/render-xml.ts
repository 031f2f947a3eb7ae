// Serialises a rendered event tree back to XML text (compact, or indented like evtxexport) for display and comparison.
// Pure and total: escapes every text and attribute value; never fails on names or text a damaged file produced.

import type { XmlElement } from './types.js';

function escapeText(text: string): string {
  return /[&<>]/.test(text) ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : text;
}

function escapeAttribute(text: string): string {
  return /[&<>"]/.test(text) ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') : text;
}

export interface RenderXmlOptions {
  /** Indent child elements by two spaces per level (evtxexport's layout) instead of writing everything on one line. */
  indent?: boolean;
}

function write(element: XmlElement, depth: number, indent: boolean, out: string[]): void {
  const pad = indent ? '  '.repeat(depth) : '';
  if (element.name.startsWith('?')) {
    const data = element.children.map((c) => (typeof c === 'string' ? c : '')).join('');
    out.push(`${pad}<${element.name}${data ? ' ' + data : ''}?>${indent ? '\n' : ''}`);
    return;
  }
  let open = `${pad}<${element.name}`;
  for (const [name, value] of Object.entries(element.attributes)) open += ` ${name}="${escapeAttribute(value)}"`;
  if (element.children.length === 0) {
    out.push(`${open}/>${indent ? '\n' : ''}`);
    return;
  }
  const onlyText = element.children.every((c) => typeof c === 'string');
  if (onlyText || !indent) {
    out.push(open + '>');
    for (const child of element.children) {
      if (typeof child === 'string') out.push(escapeText(child));
      else write(child, 0, false, out);
    }
    out.push(`</${element.name}>${indent ? '\n' : ''}`);
    return;
  }
  out.push(`${open}>\n`);
  for (const child of element.children) {
    if (typeof child === 'string') out.push(`${pad}  ${escapeText(child)}\n`);
    else write(child, depth + 1, true, out);
  }
  out.push(`${pad}</${element.name}>\n`);
}

/** The element as XML text. Processing instructions (elements named `?target`) are written as `<?target data?>`. */
export function renderXml(element: XmlElement, options: RenderXmlOptions = {}): string {
  const out: string[] = [];
  write(element, 0, options.indent === true, out);
  return out.join('');
}
