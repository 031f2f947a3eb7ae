// Windows event records (EVTX, evtx_dump JSON, live channels) turned into Vigil events.
// Never reads files or channels itself: callers hand it parsed records or JSON text.

export { recordFromEvtxJson, type WindowsEventRecord } from './record.js';
export { parseConcatenatedJson } from './concatenated-json.js';
export { mapWindowsEvent } from './map-event.js';
