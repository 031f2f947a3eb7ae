// Frames a stream of rendered event XML (wevtutil qe /f:xml, Get-WinEvent ToXml()) into one text per <Event> element.
// Never parses or validates an event (recordFromEventXml does) and never holds more than one oversized event's worth of text.

/** What the splitter found in one chunk of output. */
export interface SplitResult {
  /** Complete `<Event ...>...</Event>` texts, in order. */
  events: string[];
  /** Events skipped because they were longer than the limit, and stray text outside any event. */
  skipped: number;
}

export interface EventXmlSplitter {
  push(chunk: string): SplitResult;
  /** Ends the stream: text left over (an unfinished event) counts as skipped. */
  end(): SplitResult;
}

/** Wrapper elements around events (`wevtutil /e:Events`, python-evtx) that are stepped over, not framed. */
const WRAPPERS = new Set(['Events']);

/**
 * A splitter that tracks element depth with a tiny tag scanner (quoted attribute values, comments, CDATA and
 * processing instructions are skipped as units, so a `>` or `<` inside them never confuses it).
 */
export function createEventXmlSplitter(maxEventLength: number): EventXmlSplitter {
  let buffer = '';
  /** Scan position in `buffer`. */
  let at = 0;
  /** Start of the event being framed, or -1 between events. */
  let eventStart = -1;
  let depth = 0;
  /** Skipping the rest of an oversized event until its depth returns to 0. */
  let discarding = false;

  const scan = (): SplitResult => {
    const result: SplitResult = { events: [], skipped: 0 };
    for (;;) {
      const lt = buffer.indexOf('<', at);
      if (lt < 0) {
        if (eventStart < 0 && !discarding) {
          if (buffer.slice(at).trim()) result.skipped++;
          buffer = '';
          at = 0;
        }
        break;
      }
      if (eventStart < 0 && !discarding && buffer.slice(at, lt).trim()) result.skipped++;
      // Find the end of the markup starting at lt; stop and wait for more text when it is incomplete.
      let end: number;
      let kind: 'open' | 'close' | 'self' | 'other';
      let name = '';
      if (buffer.startsWith('<!--', lt)) {
        const close = buffer.indexOf('-->', lt + 4);
        if (close < 0) {
          at = lt;
          break;
        }
        end = close + 3;
        kind = 'other';
      } else if (buffer.startsWith('<![CDATA[', lt)) {
        const close = buffer.indexOf(']]>', lt + 9);
        if (close < 0) {
          at = lt;
          break;
        }
        end = close + 3;
        kind = 'other';
      } else if (buffer.startsWith('<?', lt) || buffer.startsWith('<!', lt)) {
        const close = buffer.indexOf('>', lt + 2);
        if (close < 0) {
          at = lt;
          break;
        }
        end = close + 1;
        kind = 'other';
      } else {
        let i = lt + 1;
        let quote = '';
        for (; i < buffer.length; i++) {
          const c = buffer[i];
          if (quote) {
            if (c === quote) quote = '';
          } else if (c === '"' || c === "'") quote = c;
          else if (c === '>') break;
        }
        if (i >= buffer.length) {
          if (i - lt > maxEventLength) {
            // An unterminated tag longer than any event: drop it.
            result.skipped++;
            buffer = '';
            at = 0;
            eventStart = -1;
            depth = 0;
            discarding = false;
          } else at = lt;
          break;
        }
        end = i + 1;
        const closing = buffer[lt + 1] === '/';
        const match = /^[^\s/>]+/.exec(buffer.slice(closing ? lt + 2 : lt + 1, Math.min(end, lt + 80)));
        name = match ? match[0].slice(match[0].indexOf(':') + 1) : '';
        kind = closing ? 'close' : buffer[end - 2] === '/' ? 'self' : 'open';
      }
      at = end;
      if (eventStart < 0 && !discarding) {
        if (kind === 'other' || WRAPPERS.has(name)) continue;
        if (name !== 'Event' || kind === 'close') {
          result.skipped++;
          continue;
        }
        if (kind === 'self') {
          result.events.push(buffer.slice(lt, end));
          continue;
        }
        eventStart = lt;
        depth = 1;
        continue;
      }
      if (name === 'Event' && kind !== 'close') {
        // Events never nest: the one being framed was cut off (a killed writer); frame anew from here.
        result.skipped++;
        discarding = false;
        if (kind === 'self') {
          result.events.push(buffer.slice(lt, end));
          eventStart = -1;
          buffer = buffer.slice(end);
          at = 0;
        } else {
          buffer = buffer.slice(lt);
          at = end - lt;
          eventStart = 0;
          depth = 1;
        }
        continue;
      }
      if (kind === 'open') depth++;
      else if (kind === 'close') depth--;
      if (depth === 0) {
        if (discarding) discarding = false;
        else result.events.push(buffer.slice(eventStart, end));
        eventStart = -1;
        buffer = buffer.slice(end);
        at = 0;
        continue;
      }
      if (!discarding && at - eventStart > maxEventLength) {
        discarding = true;
        result.skipped++;
        buffer = buffer.slice(at);
        at = 0;
        eventStart = 0;
      }
    }
    if (eventStart >= 0 && !discarding && buffer.length - eventStart > maxEventLength) {
      discarding = true;
      result.skipped++;
    }
    if (discarding || eventStart < 0) {
      // Nothing before `at` is needed any more (an oversized event is only depth-tracked to its end).
      buffer = buffer.slice(at);
      at = 0;
      if (discarding) eventStart = 0;
    } else if (eventStart > 0) {
      buffer = buffer.slice(eventStart);
      at -= eventStart;
      eventStart = 0;
    }
    return result;
  };

  return {
    push(chunk) {
      buffer += chunk;
      return scan();
    },
    end() {
      const result = scan();
      if (eventStart >= 0 || discarding || buffer.trim()) result.skipped++;
      buffer = '';
      at = 0;
      eventStart = -1;
      depth = 0;
      discarding = false;
      return result;
    },
  };
}
