// The public shapes of the EVTX reader: records as plain XML trees, problems as data, the per-file summary.
// Types only; never add behaviour here, so every consumer can import them without pulling in the parser.

/** One element of a rendered event. Text children are plain (unescaped) strings; adjacent text is merged. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: (XmlElement | string)[];
}

/** One event record in file order. */
export interface EvtxRecord {
  /** The record identifier from the record header (EventRecordID). */
  recordId: number;
  /** Written time from the record header, ISO 8601 UTC with milliseconds (`toISOString()`). */
  writtenAt: string;
  /** Index of the 64 KiB chunk the record was read from (0 = first chunk after the file header). */
  chunkIndex: number;
  /** Absolute byte offset of the record header in the file. */
  fileOffset: number;
  /** True when the record was carved by signature scan from a damaged region instead of reached by walking the chunk. */
  recovered: boolean;
  /** The rendered event, normally `<Event xmlns=...>` with System and EventData/UserData children. */
  event: XmlElement;
}

/** Something wrong in the file: a bad checksum, an unparsable record, a damaged chunk. Reported, never thrown. */
export interface EvtxProblem {
  fileOffset: number;
  chunkIndex?: number;
  message: string;
}

export interface EvtxProgress {
  bytesRead: number;
  totalBytes: number;
  records: number;
  recovered: number;
  errors: number;
}

export interface EvtxReadOptions {
  /** Called after every chunk (at most once per 64 KiB read). Must not throw. */
  onProgress?(p: EvtxProgress): void;
  /** Stops reading at the next record: the generator then throws a VigilError (code `unavailable`, cause: the signal's reason). */
  signal?: AbortSignal;
}

/** What one file held: returned by the generator when it finishes. */
export interface EvtxFileSummary {
  /** Records yielded, including recovered ones. */
  records: number;
  /** Records yielded that were carved from damaged regions. */
  recovered: number;
  problems: EvtxProblem[];
  /** Chunks examined (all 64 KiB blocks after the header that the file holds, whatever the header declares). */
  chunks: number;
  /** The file header's dirty flag (the log was not closed cleanly; the header may lag behind the chunks). */
  dirty: boolean;
}
