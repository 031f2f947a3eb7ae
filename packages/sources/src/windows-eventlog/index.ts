// The Windows event log source: polls the Sysmon, Security, System, PowerShell and Defender channels with `wevtutil qe`
// and maps every rendered event through @vigil/windows. Never changes the machine's logging configuration and never
// lets one bad event, channel or query stop collection.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VigilError } from '@vigil/common';
import { mapWindowsEvent, MAX_EVENT_XML_LENGTH, parseEventXml, recordFromEventElement } from '@vigil/windows';
import type { EventSink, EventSource } from '../core.js';
import { createEventXmlSplitter } from './xml-stream.js';

export { createEventXmlSplitter, type EventXmlSplitter, type SplitResult } from './xml-stream.js';

/** The channels read by default; a channel that does not exist on the machine (no Sysmon) is reported once and retried later. */
export const DEFAULT_WINDOWS_CHANNELS: readonly string[] = [
  'Microsoft-Windows-Sysmon/Operational',
  'Security',
  'System',
  'Microsoft-Windows-PowerShell/Operational',
  'Windows PowerShell',
  'Microsoft-Windows-Windows Defender/Operational',
];

/** One query of one channel: events after a record id (oldest first), or the newest event only. */
export type ChannelQuery = { channel: string; afterRecordId: number; count: number } | { channel: string; newest: true };

export interface WindowsEventLogSourceOptions {
  channels?: readonly string[];
  /** Pause between polls of a channel that had nothing new, in ms (default 2000). A full batch is followed at once. */
  pollMs?: number;
  /** Most events read per query (default 500). */
  batchSize?: number;
  /** Where to begin on a channel without a bookmark: its newest event (default) or its oldest. */
  startAt?: 'newest' | 'oldest';
  /** JSON file holding the last record id read per channel, so a restart resumes there (default: none, kept in memory). */
  bookmarkFile?: string;
  /** The program and arguments run for a query (default `wevtutil qe ... /f:xml`); tests and PowerShell wrappers replace it. */
  command?: (query: ChannelQuery) => { file: string; args: string[] };
  /** A channel that failed is tried again after this many ms (default 60000). */
  retryMs?: number;
  /** Most time a query may run before it is killed, in ms (default 60000). */
  queryTimeoutMs?: number;
}

/** `wevtutil qe`: oldest first, filtered by record id; or the single newest event (`/rd:true /c:1`). */
export function wevtutilCommand(query: ChannelQuery): { file: string; args: string[] } {
  if ('newest' in query) return { file: 'wevtutil.exe', args: ['qe', query.channel, '/c:1', '/rd:true', '/f:xml'] };
  return { file: 'wevtutil.exe', args: ['qe', query.channel, `/q:*[System[(EventRecordID>${query.afterRecordId})]]`, `/c:${query.count}`, '/f:xml'] };
}

/** wevtutil writes UTF-16LE to some consoles and UTF-8 to pipes; decide by BOM or by the zero bytes of UTF-16 ASCII. */
export function decodeCommandOutput(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  if (bytes.length >= 4 && bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0) return bytes.toString('utf16le');
  return bytes.toString('utf8');
}

interface ChannelState {
  name: string;
  /** Last record id read; undefined until positioned. */
  after: number | undefined;
  /** Not before this time (ms) after a failure. */
  retryAt: number;
  failures: number;
  /** Consecutive empty polls; the channel's newest id is checked now and then to notice a cleared log. */
  idlePolls: number;
}

const WARN_FIRST = 10;
const WARN_EVERY = 1000;
/** After this many empty polls a channel's newest record id is read to notice a cleared (restarted) log. */
const CLEAR_CHECK_POLLS = 30;

function defaultBookmarkFile(): string | undefined {
  if (process.platform !== 'win32') return undefined;
  return join(process.env['ProgramData'] ?? 'C:\\ProgramData', 'Vigil', 'eventlog-bookmarks.json');
}

export function createWindowsEventLogSource(options: WindowsEventLogSourceOptions = {}): EventSource {
  const channels = [...(options.channels ?? DEFAULT_WINDOWS_CHANNELS)];
  const pollMs = options.pollMs ?? 2000;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  const retryMs = options.retryMs ?? 60_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 60_000;
  const command = options.command ?? wevtutilCommand;
  const bookmarkFile = options.bookmarkFile ?? defaultBookmarkFile();
  const counts = { queries: 0, queryFailures: 0, events: 0, parseErrors: 0, skippedXml: 0, channelsActive: 0, logClears: 0 };
  const states: ChannelState[] = channels.map((name) => ({ name, after: undefined, retryAt: 0, failures: 0, idlePolls: 0 }));
  let sink: EventSink | undefined;
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  const children = new Set<ChildProcess>();
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const warn = (message: string, fields?: Record<string, unknown>) => {
    try {
      sink?.warn(`windows-eventlog: ${message}`, fields);
    } catch {
      // a sink's warn must not throw; ignore it if it does
    }
  };

  const loadBookmarks = () => {
    if (!bookmarkFile) return;
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(bookmarkFile, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') warn('bookmark file unreadable; starting from the configured position', { file: bookmarkFile, error: (error as Error).message });
      return;
    }
    if (typeof saved !== 'object' || saved === null) return;
    for (const channel of states) {
      const value = (saved as Record<string, unknown>)[channel.name];
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) channel.after = value;
    }
  };

  let savedText = '';
  const saveBookmarks = () => {
    if (!bookmarkFile) return;
    const text = JSON.stringify(Object.fromEntries(states.filter((c) => c.after !== undefined).map((c) => [c.name, c.after])));
    if (text === savedText) return;
    try {
      mkdirSync(dirname(bookmarkFile), { recursive: true });
      writeFileSync(`${bookmarkFile}.tmp`, text);
      renameSync(`${bookmarkFile}.tmp`, bookmarkFile);
      savedText = text;
    } catch (error) {
      warn('could not write the bookmark file', { file: bookmarkFile, error: (error as Error).message });
    }
  };

  /** Runs one query; resolves with the output text, rejects with a VigilError carrying the command's message. */
  const run = (query: ChannelQuery): Promise<string> =>
    new Promise((resolve, reject) => {
      const { file, args } = command(query);
      counts.queries++;
      const process_ = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      children.add(process_);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      const done = (error: VigilError | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(killer);
        children.delete(process_);
        if (error) reject(error);
        else resolve(decodeCommandOutput(Buffer.concat(out)));
      };
      const killer = setTimeout(() => {
        process_.kill();
        done(new VigilError('unavailable', `${file} took longer than ${queryTimeoutMs} ms on ${query.channel}`));
      }, queryTimeoutMs);
      process_.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
      process_.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
      process_.on('error', (error) => done(new VigilError('system', `cannot run ${file}: ${error.message}`, { cause: error })));
      process_.on('close', (code, signal) => {
        if (code === 0) return done(undefined);
        const message = decodeCommandOutput(Buffer.concat(err)).trim() || decodeCommandOutput(Buffer.concat(out)).trim().slice(0, 500);
        done(new VigilError('unavailable', `${file} on ${query.channel} exited with ${signal ?? code}${message ? `: ${message}` : ''}`));
      });
    });

  /** Maps and emits the events of one query's output; returns how many there were and the highest record id. */
  const emitOutput = (channel: ChannelState, text: string): { events: number; maxRecordId: number | undefined } => {
    const splitter = createEventXmlSplitter(MAX_EVENT_XML_LENGTH);
    const first = splitter.push(text);
    const last = splitter.end();
    const texts = [...first.events, ...last.events];
    counts.skippedXml += first.skipped + last.skipped;
    let maxRecordId: number | undefined;
    for (const xml of texts) {
      // Once stopping, the rest is left for the next start: the bookmark covers only events handed on.
      if (state !== 'running' || !sink) break;
      let event;
      try {
        const record = recordFromEventElement(parseEventXml(xml));
        if (record.recordId !== undefined && (maxRecordId === undefined || record.recordId > maxRecordId)) maxRecordId = record.recordId;
        event = mapWindowsEvent(record);
      } catch (error) {
        counts.parseErrors++;
        // The record id still advances the bookmark, or the same bad event would be read forever.
        const id = /<EventRecordID>\s*(\d{1,15})\s*<\/EventRecordID>/.exec(xml)?.[1];
        if (id !== undefined && (maxRecordId === undefined || Number(id) > maxRecordId)) maxRecordId = Number(id);
        if (counts.parseErrors <= WARN_FIRST || counts.parseErrors % WARN_EVERY === 0) {
          warn('an event could not be read', { channel: channel.name, error: VigilError.wrap(error, 'invalid_input').message, xml: xml.slice(0, 300), parseErrors: counts.parseErrors });
        }
        continue;
      }
      try {
        sink.emit(event);
        counts.events++;
      } catch (error) {
        warn('the sink rejected an event', { error: (error as Error).message });
      }
    }
    return { events: texts.length, maxRecordId };
  };

  /** The highest EventRecordID in a query's output, read without parsing the events. */
  const highestRecordId = (text: string): number | undefined => {
    let highest: number | undefined;
    for (const match of text.matchAll(/<EventRecordID>\s*(\d{1,15})\s*<\/EventRecordID>/g)) {
      const id = Number(match[1]);
      if (highest === undefined || id > highest) highest = id;
    }
    return highest;
  };

  const newestRecordId = async (channel: ChannelState): Promise<number> => highestRecordId(await run({ channel: channel.name, newest: true })) ?? 0;

  const fail = (channel: ChannelState, error: unknown) => {
    counts.queryFailures++;
    channel.failures++;
    channel.retryAt = Date.now() + retryMs;
    if (channel.failures === 1 || channel.failures % 60 === 0) {
      warn(`channel ${channel.name} cannot be read (retrying every ${Math.round(retryMs / 1000)} s): ${VigilError.wrap(error, 'unavailable').message}`, { failures: channel.failures });
    }
  };

  /** Positions a channel without a bookmark; true when it can be read. */
  const position = async (channel: ChannelState): Promise<boolean> => {
    if (channel.after !== undefined) return true;
    try {
      channel.after = options.startAt === 'oldest' ? 0 : await newestRecordId(channel);
      channel.failures = 0;
      return true;
    } catch (error) {
      fail(channel, error);
      return false;
    }
  };

  /** One query of one channel; true when a full batch came back (more may be waiting). */
  const poll = async (channel: ChannelState): Promise<boolean> => {
    if (Date.now() < channel.retryAt || !(await position(channel))) return false;
    const after = channel.after as number;
    let text: string;
    try {
      text = await run({ channel: channel.name, afterRecordId: after, count: batchSize });
    } catch (error) {
      fail(channel, error);
      return false;
    }
    if (channel.failures) warn(`channel ${channel.name} is readable again`, { failures: channel.failures });
    channel.failures = 0;
    const { events, maxRecordId } = emitOutput(channel, text);
    if (maxRecordId !== undefined && maxRecordId > after) channel.after = maxRecordId;
    if (events > 0) {
      channel.idlePolls = 0;
      return events >= batchSize;
    }
    if (++channel.idlePolls >= CLEAR_CHECK_POLLS) {
      channel.idlePolls = 0;
      try {
        const newest = await newestRecordId(channel);
        if (newest < after) {
          // The log was cleared or recreated: record ids started again from 1.
          counts.logClears++;
          warn(`channel ${channel.name} restarted its record ids (log cleared?); reading it from the start`, { previous: after, newest });
          channel.after = 0;
          return true;
        }
      } catch (error) {
        fail(channel, error);
      }
    }
    return false;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    }).finally(() => {
      clearTimeout(timer);
      wake = undefined;
    });

  const runLoop = async () => {
    while (state === 'running') {
      let more = false;
      for (const channel of states) {
        if (state !== 'running') break;
        if (await poll(channel)) more = true;
      }
      counts.channelsActive = states.filter((c) => c.after !== undefined && c.failures === 0).length;
      saveBookmarks();
      if (state === 'running' && !more) await sleep(pollMs);
    }
  };

  return {
    name: 'windows-eventlog',
    platforms: ['win32'],

    async start(target) {
      if (state !== 'idle') throw new VigilError('internal', 'the windows-eventlog source can be started only once');
      sink = target;
      state = 'running';
      loadBookmarks();
      const usable = await Promise.all(states.map((channel) => position(channel)));
      counts.channelsActive = usable.filter(Boolean).length;
      if (!usable.some(Boolean)) {
        state = 'stopped';
        throw new VigilError('unavailable', `none of the event log channels can be read (${channels.join(', ')}); run the agent as an administrator and check that wevtutil works`);
      }
      saveBookmarks();
      loop = runLoop().catch((error: unknown) => warn('the polling loop stopped', { error: VigilError.wrap(error).message }));
    },

    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      wake?.();
      for (const running of children) running.kill();
      await loop;
      saveBookmarks();
    },

    stats() {
      return { ...counts };
    },
  };
}
