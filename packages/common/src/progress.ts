// A progress line for long CLI work on stderr: a redrawn bar on a terminal, a line per 10% otherwise.
// Never writes to stdout (which carries results) and never throws.

export interface Progress {
  /** Sets the number of finished units (and optionally what is being worked on). */
  update(done: number, detail?: string): void;
  /** Ends the line with a summary. */
  finish(summary?: string): void;
}

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  const tty = Boolean(stream.isTTY);
  let lastDraw = 0;
  let lastDecile = -1;
  const line = (done: number, detail?: string) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const seconds = (Date.now() - started) / 1000;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${(ratio * 100).toFixed(0)}% ${seconds.toFixed(1)}s${detail ? ` ${detail}` : ''}`;
  };
  return {
    update(done, detail) {
      try {
        if (tty) {
          const now = Date.now();
          if (now - lastDraw < 80 && done < total) return;
          lastDraw = now;
          stream.write(`\r${line(done, detail).slice(0, (stream.columns ?? 120) - 1).padEnd(Math.min(stream.columns ?? 120, 120) - 1)}`);
        } else {
          const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
          if (decile === lastDecile) return;
          lastDecile = decile;
          stream.write(line(done) + '\n');
        }
      } catch {
        // A closed stderr must not stop the work.
      }
    },
    finish(summary) {
      try {
        if (tty) stream.write(`\r${line(total)}\n`);
        else if (lastDecile !== 10) stream.write(line(total) + '\n');
        if (summary) stream.write(summary + '\n');
      } catch {
        // as above
      }
    },
  };
}
