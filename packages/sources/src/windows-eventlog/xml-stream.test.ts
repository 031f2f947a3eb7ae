// Framing of wevtutil's output into events: wrappers, comments and markup inside values, oversized and cut-off events,
// and a seeded property test over random chunking and random damage (never throws, never loses a following event).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { createEventXmlSplitter } from './xml-stream.js';

function frame(text: string, chunks: number[], max = 1 << 20): { events: string[]; skipped: number } {
  const splitter = createEventXmlSplitter(max);
  const events: string[] = [];
  let skipped = 0;
  let at = 0;
  for (const size of chunks) {
    const result = splitter.push(text.slice(at, at + size));
    events.push(...result.events);
    skipped += result.skipped;
    at += size;
  }
  const result = splitter.push(text.slice(at));
  events.push(...result.events);
  skipped += result.skipped;
  const last = splitter.end();
  return { events: [...events, ...last.events], skipped: skipped + last.skipped };
}

const a = `<Event xmlns='urn:e'><System><EventRecordID>1</EventRecordID></System><EventData><Data Name='x'>a &gt; b</Data></EventData></Event>`;
const b = `<Event><System/><EventData><Data Name="q">'<![CDATA[</Event> <Event>]]>'</Data><!-- </Event> --></EventData></Event>`;
const c = `<Event a="x>y" b='</Event>'/>`;

test('wrappers, the declaration and whitespace are stepped over; markup inside values, CDATA and comments never ends an event', () => {
  const stream = `<?xml version="1.0" encoding="utf-8"?>\r\n<Events>\r\n${a}\r\n${b}${c}\n</Events>\n`;
  assert.deepEqual(frame(stream, []), { events: [a, b, c], skipped: 0 });
});

test('an event longer than the limit is skipped whole and the next one is framed', () => {
  const big = `<Event><EventData><Data>${'x'.repeat(5000)}</Data><Data>${'<i/>'.repeat(100)}</Data></EventData></Event>`;
  assert.deepEqual(frame(`${a}${big}${b}`, [10, 200, 3000, 3000], 1000), { events: [a, b], skipped: 1 });
  assert.deepEqual(frame(`${a}<Event a="${'y'.repeat(3000)}">${b}`, [100, 100, 100], 1000).events.at(-1), b, 'an unterminated oversized tag is dropped');
});

test('a cut-off event is skipped at the next <Event> and at the end; stray text is counted', () => {
  const cut = a.slice(0, a.length - 20);
  assert.deepEqual(frame(`${cut}\r\n${b}`, []), { events: [b], skipped: 1 });
  assert.deepEqual(frame(`${a}${cut}`, []), { events: [a], skipped: 1 });
  assert.deepEqual(frame(`junk ${a} more junk`, []), { events: [a], skipped: 2 });
  assert.deepEqual(frame(`</Event><Other/>${a}`, []), { events: [a], skipped: 2 });
});

test('property: 3,000 random chunkings of a valid stream frame the same events; 3,000 damaged streams never throw', () => {
  const random = seededRandom(0xc0ffee);
  const events = [a, b, c, a.replace('1', '2'), b.replace('q', 'r')];
  const stream = events.join('\r\n');
  for (let i = 0; i < 3000; i++) {
    const chunks: number[] = [];
    for (let left = stream.length; left > 0; ) {
      const size = 1 + Math.floor(random() * 40);
      chunks.push(size);
      left -= size;
    }
    assert.deepEqual(frame(stream, chunks), { events, skipped: 0 });
  }
  const noise = ['<', '>', '"', "'", '<!--', '-->', '<![CDATA[', ']]>', '<?', '</Event>', '<Event>', '<Event/>', '/>', 'x'];
  for (let i = 0; i < 3000; i++) {
    let text = stream;
    for (let m = 1 + Math.floor(random() * 5); m > 0; m--) {
      const at = Math.floor(random() * text.length);
      text = random() < 0.5 ? text.slice(0, at) + noise[Math.floor(random() * noise.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + Math.floor(random() * 30));
    }
    const { events: framed } = frame(text, [Math.floor(random() * 50), Math.floor(random() * 300)], 2000);
    for (const event of framed) {
      assert.ok(event.startsWith('<Event') && event.endsWith('>'), event);
      assert.ok(text.includes(event), 'a framed event is a piece of the input');
    }
  }
});
