// `vigil intel import <file>`: checks an indicator file locally (STIX 2.1, MISP, CSV, plain list), refuses it with
// every error's location before anything is sent, uploads it with a progress bar and prints what the server stored.
// Never stores anything itself: the server parses again and imports all or nothing.

import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { basename } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { VigilError, createProgress, describeError, formatLocation } from '@vigil/common';
import { countByType, indicatorFormats, parseIndicators, refuseMalformed, type IndicatorFormat } from '@vigil/intel';
import { apiTarget, type ApiTarget } from './api-client.js';

type Values = Record<string, string | boolean | string[] | undefined>;

export interface IntelCommand {
  summary: string;
  usage: string;
  positionals: boolean;
  options: NonNullable<ParseArgsConfig['options']>;
  help: Record<string, string>;
  run(values: Values, positionals: string[]): Promise<number>;
}

interface ImportAnswer {
  format: string;
  entries: number;
  indicators: number;
  created: number;
  updated: number;
  by_type: Record<string, number>;
  warnings: { message: string; location: Record<string, unknown> }[];
  warning_count: number;
  sweep_id: string | null;
  dry_run: boolean;
}

/** POSTs a JSON body in 256 KiB pieces, reporting bytes written; resolves with the parsed answer. */
function upload<T>(target: ApiTarget, path: string, body: Buffer, onBytes: (sent: number) => void): Promise<T> {
  const url = new URL(path, target.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: target.caPem, headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: { error?: { message?: string; location?: Record<string, unknown>; details?: { message: string; location?: Record<string, unknown> }[] } } & Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          return reject(new VigilError('unavailable', `server answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
        }
        if ((res.statusCode ?? 500) >= 400) {
          const details = (parsed.error?.details ?? []).map((d) => ({ message: d.message, ...(d.location ? { location: d.location } : {}) }));
          return reject(new VigilError(res.statusCode === 401 ? 'unauthenticated' : res.statusCode === 403 ? 'forbidden' : res.statusCode === 413 ? 'payload_too_large' : (res.statusCode ?? 500) >= 500 ? 'unavailable' : 'invalid_input', parsed.error?.message ?? text.slice(0, 300), { details }));
        }
        resolve(parsed as T);
      });
    });
    req.on('error', (error) => reject(VigilError.wrap(error, 'unavailable', `cannot reach ${target.server}`)));
    let offset = 0;
    const piece = 256 * 1024;
    const write = () => {
      while (offset < body.length) {
        const end = Math.min(offset + piece, body.length);
        const more = req.write(body.subarray(offset, end));
        offset = end;
        onBytes(offset);
        if (!more) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

export function intelCommand(defaultDataDir: string): IntelCommand {
  return {
    summary: 'import indicators of compromise (STIX 2.1 bundle, MISP event, CSV, plain list) into a server',
    usage: 'vigil intel import <file> [--type stix|misp|csv|list] [--source NAME] [--confidence N] [--include-non-ids] [--dry-run] [--server URL] [--token TOKEN] [--ca-file FILE]',
    positionals: true,
    options: {
      type: { type: 'string' }, source: { type: 'string' }, confidence: { type: 'string' }, 'include-non-ids': { type: 'boolean' }, 'dry-run': { type: 'boolean' },
      server: { type: 'string' }, token: { type: 'string' }, 'ca-file': { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' },
    },
    help: {
      '--type T': `format of the file: ${indicatorFormats.join(', ')} (default: detected from the content)`,
      '--source NAME': 'source recorded on every indicator (default: import:<your user>)',
      '--confidence N': '0-100 for formats that carry none',
      '--include-non-ids': 'MISP: also import attributes without to_ids',
      '--dry-run': 'let the server check the file and count what it would import, storing nothing',
      '--json': 'print the server\'s answer as JSON',
      '--server URL, --token TOKEN, --ca-file FILE': 'as for `vigil hunt` (env VIGIL_SERVER, VIGIL_API_TOKEN, VIGIL_DATA_DIR)',
    },
    async run(values, positionals) {
      const [verb, file, ...rest] = positionals;
      if (verb !== 'import' || !file || rest.length) throw new VigilError('invalid_config', 'usage: vigil intel import <file> [--type stix|misp|csv|list] [--source NAME]');
      const type = typeof values.type === 'string' ? values.type : undefined;
      if (type !== undefined && !indicatorFormats.includes(type as IndicatorFormat)) throw new VigilError('invalid_config', `--type must be one of ${indicatorFormats.join(', ')}`);
      const confidence = typeof values.confidence === 'string' ? Number(values.confidence) : undefined;
      if (confidence !== undefined && (!Number.isInteger(confidence) || confidence < 0 || confidence > 100)) throw new VigilError('invalid_config', '--confidence must be a whole number from 0 to 100');
      const target = apiTarget({ server: values.server as string | undefined, token: values.token as string | undefined, caFile: values['ca-file'] as string | undefined, dataDir: values['data-dir'] as string | undefined }, defaultDataDir);
      let text: string;
      try {
        if (statSync(file).size > 64 * 1024 * 1024) throw new VigilError('payload_too_large', `${file} is larger than 64 MiB: split it or serve it as a feed`);
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw error instanceof VigilError ? error : new VigilError('invalid_config', `cannot read ${file}: ${(error as Error).message}`);
      }
      // Checked here first: a malformed file is refused with its locations before a byte is sent.
      const local = parseIndicators(text, { source: 'local-check', file: basename(file), ...(type ? { format: type as IndicatorFormat } : {}), ...(values['include-non-ids'] ? { includeNonIds: true } : {}) });
      try {
        refuseMalformed(local);
      } catch (error) {
        process.stderr.write(`${describeError(error)}\n`);
        return 1;
      }
      const counts = Object.entries(countByType(local.indicators)).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ');
      process.stderr.write(`${basename(file)}: ${local.format}, ${local.entries} entries, ${local.indicators.length} indicators (${counts || 'none'})\n`);
      const body = Buffer.from(JSON.stringify({
        content: text,
        format: local.format,
        file_name: basename(file),
        ...(typeof values.source === 'string' ? { source: values.source } : {}),
        ...(confidence !== undefined ? { confidence } : {}),
        ...(values['include-non-ids'] ? { include_non_ids: true } : {}),
        ...(values['dry-run'] ? { dry_run: true } : {}),
      }));
      const progress = createProgress('upload', body.length);
      const answer = await upload<ImportAnswer>(target, '/api/v1/intel/import', body, (sent) => progress.update(sent));
      progress.finish();
      if (values.json) {
        console.log(JSON.stringify(answer, null, 2));
        return 0;
      }
      const types = Object.entries(answer.by_type).filter(([, n]) => n > 0).map(([t, n]) => `${t}=${n}`).join(' ');
      console.log(`${answer.dry_run ? 'would import' : 'imported'} ${answer.indicators} indicators from ${answer.entries} ${answer.format} entries: ${answer.created} new, ${answer.updated} updated (${types || 'none'})`);
      if (answer.sweep_id) console.log(`retro sweep over stored events: ${answer.sweep_id} (vigil: GET /api/v1/sweeps/${answer.sweep_id})`);
      if (answer.warning_count) {
        console.log(`${answer.warning_count} entr${answer.warning_count === 1 ? 'y' : 'ies'} skipped:`);
        for (const warning of answer.warnings.slice(0, 20)) console.log(`  ${formatLocation(warning.location)}: ${warning.message}`);
        if (answer.warning_count > 20) console.log(`  ... and ${answer.warning_count - 20} more (--json lists up to 200)`);
      }
      return 0;
    },
  };
}
