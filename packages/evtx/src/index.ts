// EVTX (Windows XML event log) reader: file header, chunks, binary XML with templates, recovery of damaged files.
// Never throws for damaged content (problems are reported in the summary); only an unreadable file is a VigilError.

export type { EvtxFileSummary, EvtxProblem, EvtxProgress, EvtxReadOptions, EvtxRecord, XmlElement } from './types.js';
export { readEvtxFile } from './reader.js';
export { toWindowsRecord } from './windows-record.js';
export { renderXml } from './render-xml.js';
