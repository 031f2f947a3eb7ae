// The server's evidence store: files agents collect (file.collect), streamed to `<dataDir>/evidence/<sha256>` and
// indexed in `<dataDir>/evidence.sqlite`. Never keeps a file whose size or sha256 differs from what the agent declared,
// never holds a whole file in memory, never overwrites stored content (it is addressed by its hash).

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, fsyncSync, closeSync, openSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VigilError } from '@vigil/common';
import { SqliteFile } from '../sqlite-file.js';

export interface EvidenceRecord {
  id: string;
  agent_id: string;
  task_id: string | null;
  /** The file's path on the endpoint. */
  source_path: string;
  sha256: string;
  size: number;
  received_at: string;
}

export interface EvidenceSettings {
  /** Largest file accepted, in bytes (env VIGIL_EVIDENCE_MAX_BYTES, default 1 GiB). */
  maxBytes: number;
}

export function evidenceSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EvidenceSettings {
  const raw = env.VIGIL_EVIDENCE_MAX_BYTES;
  if (raw === undefined || raw === '') return { maxBytes: 1024 * 1024 * 1024 };
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new VigilError('invalid_config', `VIGIL_EVIDENCE_MAX_BYTES must be a positive whole number of bytes, got ${JSON.stringify(raw)}`);
  return { maxBytes: value };
}

export interface EvidenceUploadInput {
  agentId: string;
  taskId: string | null;
  sourcePath: string;
  declaredSha256: string;
  declaredSize: number;
  body: Readable;
}

export interface EvidenceFilter {
  agentId?: string;
  taskId?: string;
  sha256?: string;
  /** Records received before this ISO time (paging). */
  before?: string;
  limit: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS evidence (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  task_id TEXT,
  source_path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_agent ON evidence (agent_id, received_at);
CREATE INDEX IF NOT EXISTS evidence_sha256 ON evidence (sha256);
CREATE INDEX IF NOT EXISTS evidence_task ON evidence (task_id);
CREATE INDEX IF NOT EXISTS evidence_received ON evidence (received_at);
`;

/** Counts and hashes what passes through; fails as soon as more than `limit` bytes came. */
function meter(limit: number, tooLarge: () => VigilError): Transform & { digest(): { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(tooLarge());
      hash.update(chunk);
      done(null, chunk);
    },
  }) as Transform & { digest(): { sha256: string; size: number } };
  transform.digest = () => ({ sha256: hash.digest('hex'), size });
  return transform;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class EvidenceStore {
  readonly dir: string;
  readonly settings: EvidenceSettings;
  readonly #incoming: string;
  readonly #db: SqliteFile;

  constructor(dataDir: string, settings: EvidenceSettings = evidenceSettingsFromEnv()) {
    this.dir = join(dataDir, 'evidence');
    this.settings = settings;
    this.#incoming = join(this.dir, '.incoming');
    mkdirSync(this.#incoming, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    // Uploads interrupted by a crash or a stop are garbage: nothing refers to them.
    for (const name of readdirSync(this.#incoming)) rmSync(join(this.#incoming, name), { force: true });
    this.#db = new SqliteFile(join(dataDir, 'evidence.sqlite'), 'evidence index', { synchronous: 'FULL', schema: SCHEMA });
  }

  /**
   * Streams an upload to disk and records it. Throws `payload_too_large` over the limit, `invalid_input` when the
   * body is shorter or longer than declared, `conflict` when its sha256 differs from the declared one.
   */
  async receive(input: EvidenceUploadInput): Promise<EvidenceRecord> {
    if (input.declaredSize > this.settings.maxBytes) {
      throw new VigilError('payload_too_large', `evidence of ${input.declaredSize} bytes is over the server's limit of ${this.settings.maxBytes} bytes (VIGIL_EVIDENCE_MAX_BYTES)`);
    }
    const temp = join(this.#incoming, randomUUID());
    const counter = meter(input.declaredSize, () => new VigilError('invalid_input', `the upload is longer than its declared ${input.declaredSize} bytes`));
    try {
      await pipeline(input.body, counter, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      const { sha256, size } = counter.digest();
      if (size !== input.declaredSize) throw new VigilError('invalid_input', `the upload ended after ${size} of ${input.declaredSize} declared bytes`);
      if (sha256 !== input.declaredSha256) throw new VigilError('conflict', `the uploaded bytes hash to ${sha256}, the agent declared ${input.declaredSha256}: not stored`);
      fsyncPath(temp);
      const final = join(this.dir, sha256);
      if (existsSync(final) && statSync(final).size === size) unlinkSync(temp);
      else renameSync(temp, final);
      fsyncPath(this.dir);
      const record: EvidenceRecord = { id: randomUUID(), agent_id: input.agentId, task_id: input.taskId, source_path: input.sourcePath, sha256, size, received_at: new Date().toISOString() };
      this.#db
        .statement('INSERT INTO evidence (id, agent_id, task_id, source_path, sha256, size, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(record.id, record.agent_id, record.task_id, record.source_path, record.sha256, record.size, record.received_at);
      return record;
    } catch (error) {
      rmSync(temp, { force: true });
      if (error instanceof VigilError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ABORT_ERR') throw new VigilError('invalid_input', 'the upload was interrupted before it was complete', { cause: error });
      throw VigilError.wrap(error, 'internal', 'storing evidence failed');
    }
  }

  get(id: string): EvidenceRecord | undefined {
    return this.#db.statement('SELECT * FROM evidence WHERE id = ?').get(id) as EvidenceRecord | undefined;
  }

  list(filter: EvidenceFilter): EvidenceRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.agentId !== undefined) (where.push('agent_id = ?'), params.push(filter.agentId));
    if (filter.taskId !== undefined) (where.push('task_id = ?'), params.push(filter.taskId));
    if (filter.sha256 !== undefined) (where.push('sha256 = ?'), params.push(filter.sha256.toLowerCase()));
    if (filter.before !== undefined) (where.push('received_at < ?'), params.push(filter.before));
    const sql = `SELECT * FROM evidence${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at DESC, id LIMIT ?`;
    return this.#db.statement(sql).all(...params, filter.limit) as EvidenceRecord[];
  }

  /** The stored content of a record, or `not_found` when it is missing on disk. */
  open(record: EvidenceRecord): Readable {
    const path = join(this.dir, record.sha256);
    if (!/^[0-9a-f]{64}$/.test(record.sha256) || !existsSync(path)) throw new VigilError('not_found', `the content of evidence ${record.id} (sha256 ${record.sha256}) is missing from ${this.dir}`);
    return createReadStream(path);
  }

  close(): void {
    this.#db.close();
  }
}
