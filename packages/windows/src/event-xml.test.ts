// The rendered-event XML reader: element trees, entities and locations; the same records as the evtx_dump JSON reader for
// the same event; and a seeded property test (mutated XML only ever gives VigilErrors, random trees round-trip).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, VigilError } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { mapWindowsEvent, parseEventXml, recordFromEventElement, recordFromEventXml, recordFromEvtxJson, type EventXmlElement } from './index.js';
import { MAX_XML_DEPTH } from './event-xml.js';

const NS = "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'";

const serviceXml =
  `<Event ${NS}><System><Provider Name='Service Control Manager' Guid='{555908D1-A6D7-4695-8E1E-26931D2012F4}' EventSourceName='Service Control Manager'/>` +
  `<EventID Qualifiers='16384'>7045</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords>` +
  `<TimeCreated SystemTime='2026-11-03T10:41:11.5000000Z'/><EventRecordID>30211</EventRecordID><Correlation/><Execution ProcessID='720' ThreadID='7720'/>` +
  `<Channel>System</Channel><Computer>WKS-0042.vigil-lab.example</Computer><Security UserID='S-1-5-21-1-2-3-1107'/></System>` +
  `<EventData><Data Name='ServiceName'>PSEXESVC</Data><Data Name='ImagePath'>%SystemRoot%\\PSEXESVC.exe &amp; &lt;x&gt; &#169;</Data><Data Name='ServiceType'>user mode service</Data>` +
  `<Data Name='StartType'>demand start</Data><Data Name='AccountName'></Data></EventData></Event>`;

test('an event element: local names, attributes in either quotes, entities, CDATA, comments and the XML declaration', () => {
  const root = parseEventXml(`<?xml version="1.0" encoding="utf-8"?>\n<!-- exported -->\n<e:Event xmlns:e="urn:x" a='1' b="it's"><e:S>x &amp; y<![CDATA[<raw> & ]]>z</e:S><!-- c --><T/>\n</e:Event>\n`);
  assert.deepEqual(root, {
    name: 'Event',
    attributes: { 'xmlns:e': 'urn:x', a: '1', b: "it's" },
    children: [{ name: 'S', attributes: {}, children: ['x & y<raw> & z'] }, { name: 'T', attributes: {}, children: [] }, '\n'],
  });
  assert.deepEqual(parseEventXml('<a x="&#x1F600;&#65;&unknown; & b"/>').attributes, { x: '😀A&unknown; & b' }, 'unknown entities and bare ampersands stay as written');
});

test('syntax errors are VigilErrors with line and column; DOCTYPE, deep nesting and huge input are refused', () => {
  const cases: [string, RegExp, number, number][] = [
    ['<Event>\n  <System>\n</Event>', /expected <\/System>, found <\/Event>/, 3, 1],
    ['<Event a=1/>', /quoted attribute value/, 1, 10],
    ['<Event><A></A>', /not closed/, 1, 15],
    ['<!DOCTYPE x [<!ENTITY e "boom">]><Event/>', /DOCTYPE/, 1, 1],
    ['<Event/><Event/>', /after the root element/, 1, 9],
    ['', /no element/, 1, 1],
    ['<Event a="<"/>', /not allowed in an attribute/, 1, 11],
  ];
  for (const [text, message, line, column] of cases) {
    assert.throws(
      () => parseEventXml(text, 'x.xml'),
      (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && message.test(error.message) && error.location?.line === line && error.location?.column === column && error.location?.file === 'x.xml',
      text,
    );
  }
  const deep = '<a>'.repeat(MAX_XML_DEPTH + 1) + '</a>'.repeat(MAX_XML_DEPTH + 1);
  assert.throws(() => parseEventXml(deep), /nested deeper/);
  assert.ok(parseEventXml('<a>'.repeat(MAX_XML_DEPTH) + '</a>'.repeat(MAX_XML_DEPTH)));
  assert.throws(() => parseEventXml(`<Event>${'x'.repeat(5 * 1024 * 1024)}</Event>`), (error: unknown) => error instanceof VigilError && error.code === 'payload_too_large');
});

test('the XML of an event gives the record the evtx_dump JSON of the same event gives', () => {
  const fromXml = recordFromEventXml(serviceXml);
  const fromJson = recordFromEvtxJson({
    Event: {
      System: {
        Provider: { '#attributes': { Name: 'Service Control Manager', Guid: '{555908D1-A6D7-4695-8E1E-26931D2012F4}', EventSourceName: 'Service Control Manager' } },
        EventID: { '#attributes': { Qualifiers: '16384' }, '#text': '7045' },
        Version: '0',
        Level: '4',
        Task: '0',
        Opcode: '0',
        Keywords: '0x8080000000000000',
        TimeCreated: { '#attributes': { SystemTime: '2026-11-03T10:41:11.5000000Z' } },
        EventRecordID: '30211',
        Correlation: null,
        Execution: { '#attributes': { ProcessID: '720', ThreadID: '7720' } },
        Channel: 'System',
        Computer: 'WKS-0042.vigil-lab.example',
        Security: { '#attributes': { UserID: 'S-1-5-21-1-2-3-1107' } },
      },
      EventData: { ServiceName: 'PSEXESVC', ImagePath: '%SystemRoot%\\PSEXESVC.exe & <x> ©', ServiceType: 'user mode service', StartType: 'demand start', AccountName: '' },
    },
  });
  assert.deepEqual(fromXml, fromJson);
  assert.equal(fromXml.eventId, 7045);
  assert.equal(fromXml.userSid, 'S-1-5-21-1-2-3-1107');
  assert.equal(fromXml.data['AccountName'], '', 'an empty Data element is an empty string, as evtx_dump renders it');
});

test('unnamed Data elements become Data[1], Data[2], ...; UserData children become the pairs; Binary is kept', () => {
  const classic = recordFromEventXml(
    `<Event ${NS}><System><Provider Name='PowerShell'/><EventID Qualifiers='0'>800</EventID><TimeCreated SystemTime='2026-11-03T09:31:05Z'/><Channel>Windows PowerShell</Channel><Computer>h</Computer><Security/></System>` +
      `<EventData><Data>one</Data><Data></Data><Data>three</Data><Binary>00FF</Binary></EventData></Event>`,
  );
  assert.deepEqual(classic.data, { Binary: '00FF', 'Data[1]': 'one', 'Data[2]': '', 'Data[3]': 'three' });
  const cleared = recordFromEventXml(
    `<Event ${NS}><System><Provider Name='Microsoft-Windows-Eventlog'/><EventID>1102</EventID><TimeCreated SystemTime='2026-11-03T11:00:00Z'/><Channel>Security</Channel><Computer>dc</Computer></System>` +
      `<UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'><SubjectUserName>Administrator</SubjectUserName><Nested><A>1</A><A>2</A></Nested><Empty/></LogFileCleared></UserData></Event>`,
  );
  assert.deepEqual(cleared.data, { SubjectUserName: 'Administrator', 'Nested.A[1]': '1', 'Nested.A[2]': '2', Empty: '' });
});

test('records with missing System parts are VigilErrors naming the path (and the file)', () => {
  assert.throws(() => recordFromEventXml(serviceXml.replace('<Channel>System</Channel>', ''), 'one.xml'), (error: unknown) => error instanceof VigilError && /one\.xml: \$\.Event\.System\.Channel/.test(error.message) && error.location?.file === 'one.xml');
  assert.throws(() => recordFromEventElement({ name: 'Events', attributes: {}, children: [] }), /expected an <Event> element/);
  assert.throws(() => recordFromEventXml(serviceXml.replace("SystemTime='2026-11-03T10:41:11.5000000Z'", "SystemTime='soon'")), /TimeCreated\.SystemTime/);
});

// ---- property tests ----

const random = seededRandom(0x7e57_4d1);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

function randomText(max: number): string {
  const alphabet = ['a', 'Z', '0', ' ', '\\', '"', "'", '&', '<', '>', ';', '#', 'x', 'é', '😀', '\n', '\t', ']', '-', '?', '!', '='];
  let text = '';
  for (let i = Math.floor(random() * max); i > 0; i--) text += pick(alphabet);
  return text;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function randomTree(depth: number): EventXmlElement {
  const names = ['Event', 'System', 'Data', 'EventData', 'x', 'Provider', 'A-b.c', '_n'];
  const element: EventXmlElement = { name: pick(names), attributes: {}, children: [] };
  for (let i = Math.floor(random() * 3); i > 0; i--) element.attributes[pick(['Name', 'Guid', 'k', 'v1'])] = randomText(8);
  let lastWasText = false;
  for (let i = Math.floor(random() * 4); i > 0; i--) {
    if (depth < 6 && random() < 0.5) {
      element.children.push(randomTree(depth + 1));
      lastWasText = false;
    } else if (!lastWasText) {
      const text = randomText(12);
      if (text) {
        element.children.push(text);
        lastWasText = true;
      }
    }
  }
  return element;
}

function serialize(element: EventXmlElement): string {
  const attributes = Object.entries(element.attributes)
    .map(([name, value]) => (random() < 0.5 ? ` ${name}="${escapeText(value).replace(/"/g, '&quot;')}"` : ` ${name}='${escapeText(value).replace(/'/g, '&apos;')}'`))
    .join('');
  if (element.children.length === 0 && random() < 0.5) return `<${element.name}${attributes}/>`;
  const body = element.children.map((child) => (typeof child === 'string' ? (random() < 0.2 && !child.includes(']]>') ? `<![CDATA[${child}]]>` : escapeText(child)) : serialize(child))).join('');
  return `<${element.name}${attributes}>${body}</${element.name}>`;
}

test('2,000 random element trees serialised with random quoting and CDATA parse back to the same tree', () => {
  for (let i = 0; i < 2000; i++) {
    const tree = randomTree(0);
    const text = serialize(tree);
    assert.deepEqual(parseEventXml(text), tree, text);
  }
});

test('20,000 mutated event texts: only VigilErrors, and every record read maps to a schema-valid event', () => {
  const seeds = [
    serviceXml,
    `<Event ${NS}><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'/><EventID>1</EventID><TimeCreated SystemTime='2026-11-03T09:14:22.5310042Z'/><EventRecordID>1</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>w</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='UtcTime'>2026-11-03 09:14:22.529</Data><Data Name='ProcessId'>7312</Data><Data Name='Image'>C:\\x.exe</Data><Data Name='CommandLine'>x "a b" c</Data></EventData></Event>`,
    `<Event ${NS}><System><Provider Name='Microsoft-Windows-Eventlog'/><EventID>1102</EventID><TimeCreated SystemTime='2026-11-03T11:00:00Z'/><Channel>Security</Channel><Computer>dc</Computer></System><UserData><LogFileCleared><SubjectUserName>a</SubjectUserName></LogFileCleared></UserData></Event>`,
  ];
  const fragments = ['<', '>', '/>', '</Data>', '<Data Name="x">', '&amp;', '&#0;', '&#x110000;', '"', "'", '<![CDATA[', ']]>', '<!--', '-->', '<?', '?>', '<EventData>', '</Event>', '\u0000', '<Event>'];
  let parsed = 0;
  let mapped = 0;
  for (let i = 0; i < 20000; i++) {
    let text = pick(seeds);
    for (let m = 1 + Math.floor(random() * 4); m > 0; m--) {
      const at = Math.floor(random() * (text.length + 1));
      switch (Math.floor(random() * 4)) {
        case 0:
          text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 20));
          break;
        case 1:
          text = text.slice(0, at) + pick(fragments) + text.slice(at);
          break;
        case 2:
          text = text.slice(0, at);
          break;
        default:
          text = text.slice(0, at) + randomText(6) + text.slice(at);
      }
    }
    let record;
    try {
      const root = parseEventXml(text);
      parsed++;
      record = recordFromEventElement(root);
    } catch (error) {
      assert.ok(error instanceof VigilError, `${String(error)} for ${JSON.stringify(text)}`);
      continue;
    }
    const event = mapWindowsEvent(record) as unknown as Record<string, unknown>;
    mapped++;
    const check = checkEvent({ ...event, 'event.id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'event.sequence': 1, 'host.id': 'h' }, 'event');
    assert.deepEqual(check.problems, [], text);
  }
  assert.ok(parsed > 1000 && mapped > 500, `parsed ${parsed}, mapped ${mapped}: the mutations should leave some texts readable`);
});
