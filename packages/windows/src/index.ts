// Windows event records (EVTX, evtx_dump JSON, live channels) turned into Vigil events.
// Never reads files or channels itself: callers hand it parsed records or JSON text.

export { recordFromEvtxJson, type WindowsEventRecord } from './record.js';
export { parseConcatenatedJson } from './concatenated-json.js';
export { mapWindowsEvent } from './map-event.js';
export { parseEventXml, recordFromEventElement, recordFromEventXml, MAX_EVENT_XML_LENGTH, type EventXmlElement } from './event-xml.js';
export { windowsChannelTables, type ChannelTable, type EventRule } from './event-tables.js';
