// The embedded control plane on SQLite: agents, certificates, enrollment tokens, users, sessions, API tokens, audit log.
// Secrets are stored only as SHA-256 (tokens) or scrypt (passwords) hashes; every write is synchronous and durable.

import { createHash, randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import { VigilError } from '@vigil/common';

/**
 * `responder`: runs response actions and approves others' tasks; `integration`: third-party platforms pushing alerts
 * and indicators (inbound API), reading alerts and metrics. What each role may do: apps/server/src/http/access.ts.
 */
export type Role = 'admin' | 'responder' | 'analyst' | 'viewer' | 'integration';
export const roles: readonly Role[] = ['admin', 'responder', 'analyst', 'viewer', 'integration'];

export interface AgentRecord {
  id: string;
  hostname: string;
  certSerial: string;
  enrolledAt: string;
  revokedAt: string | null;
  lastSeen: string | null;
  lastHeartbeat: Record<string, unknown> | null;
  address: string | null;
}

export interface TokenRecord {
  id: string;
  description: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  revokedAt: string | null;
}

export interface UserRecord {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
}

export interface Principal {
  kind: 'user' | 'api_token';
  id: string;
  name: string;
  role: Role;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY, hostname TEXT NOT NULL, cert_serial TEXT NOT NULL, enrolled_at TEXT NOT NULL,
  enrolled_with TEXT, revoked_at TEXT, revoked_reason TEXT, last_seen TEXT, last_heartbeat TEXT, address TEXT);
CREATE TABLE IF NOT EXISTS certificates (
  serial TEXT PRIMARY KEY, agent_id TEXT NOT NULL, issued_at TEXT NOT NULL, not_after TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS enrollment_tokens (
  id TEXT PRIMARY KEY, token_hash TEXT UNIQUE NOT NULL, description TEXT NOT NULL, created_by TEXT NOT NULL,
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL, max_uses INTEGER NOT NULL, uses INTEGER NOT NULL DEFAULT 0, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL, role TEXT NOT NULL,
  created_at TEXT NOT NULL, disabled_at TEXT);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT UNIQUE NOT NULL, role TEXT NOT NULL, created_by TEXT NOT NULL,
  created_at TEXT NOT NULL, expires_at TEXT, last_used TEXT, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT, outcome TEXT NOT NULL, detail TEXT);
`;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(expected, actual);
}

const now = () => new Date().toISOString();

export class ControlPlane {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: several of these run on every API request or agent batch. */
  #stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }

  constructor(file: string) {
    try {
      this.#db = new Database(file);
    } catch (error) {
      throw VigilError.wrap(error, 'unavailable', `cannot open the control plane database ${file}`);
    }
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.exec(SCHEMA);
  }

  close(): void {
    this.#db.close();
  }

  audit(actor: string, action: string, target: string | null, outcome: 'success' | 'failure', detail?: Record<string, unknown>): void {
    this.#stmt('INSERT INTO audit_log (time, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(now(), actor, action, target, outcome, detail ? JSON.stringify(detail) : null);
  }

  auditLog(limit: number): Record<string, unknown>[] {
    return this.#stmt('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as Record<string, unknown>[];
  }

  // ---- users, sessions, API tokens ----

  userCount(): number {
    return (this.#stmt('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  createUser(username: string, password: string, role: Role): UserRecord {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(username)) throw new VigilError('invalid_input', 'username may hold letters, digits and . _ @ - (1-64)', { location: { path: 'username' } });
    if (password.length < 12) throw new VigilError('invalid_input', 'password must be at least 12 characters', { location: { path: 'password' } });
    const user: UserRecord = { id: randomUUID(), username, role, createdAt: now() };
    try {
      this.#stmt('INSERT INTO users (id, username, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)').run(user.id, username, hashPassword(password), role, user.createdAt);
    } catch (error) {
      if (String(error).includes('UNIQUE')) throw new VigilError('conflict', `user ${username} exists already`);
      throw error;
    }
    return user;
  }

  listUsers(): UserRecord[] {
    return (this.#stmt('SELECT id, username, role, created_at FROM users WHERE disabled_at IS NULL ORDER BY username').all() as Record<string, string>[]).map((r) => ({
      id: r.id!, username: r.username!, role: r.role as Role, createdAt: r.created_at!,
    }));
  }

  /** Returns a new session token for valid credentials; undefined for a wrong name or password (same timing path). */
  login(username: string, password: string, ttlSeconds: number): { token: string; expiresAt: string; user: UserRecord } | undefined {
    const row = this.#stmt('SELECT * FROM users WHERE username = ? AND disabled_at IS NULL').get(username) as Record<string, string> | undefined;
    const ok = verifyPassword(password, row?.password_hash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    if (!row || !ok) return undefined;
    const token = newSecret('vgl_ses');
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
    this.#stmt('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(hashToken(token), row.id, now(), expiresAt);
    return { token, expiresAt, user: { id: row.id!, username: row.username!, role: row.role as Role, createdAt: row.created_at! } };
  }

  logout(token: string): void {
    this.#stmt('DELETE FROM sessions WHERE token_hash = ?').run(hashToken(token));
  }

  createApiToken(name: string, role: Role, createdBy: string, ttlSeconds: number | undefined): { id: string; token: string; expiresAt: string | null } {
    const token = newSecret('vgl_api');
    const id = randomUUID();
    const expiresAt = ttlSeconds ? new Date(Date.now() + ttlSeconds * 1000).toISOString() : null;
    this.#stmt('INSERT INTO api_tokens (id, name, token_hash, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(id, name, hashToken(token), role, createdBy, now(), expiresAt);
    return { id, token, expiresAt };
  }

  /** Resolves a bearer secret (session or API token) to who holds it, or undefined. */
  authenticate(secret: string): Principal | undefined {
    const hash = hashToken(secret);
    const time = now();
    if (secret.startsWith('vgl_ses_')) {
      const row = this.#stmt('SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL')
        .get(hash, time) as Record<string, string> | undefined;
      return row ? { kind: 'user', id: row.id!, name: row.username!, role: row.role as Role } : undefined;
    }
    if (secret.startsWith('vgl_api_')) {
      const row = this.#stmt('SELECT id, name, role FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)')
        .get(hash, time) as Record<string, string> | undefined;
      if (!row) return undefined;
      this.#stmt('UPDATE api_tokens SET last_used = ? WHERE id = ?').run(time, row.id);
      return { kind: 'api_token', id: row.id!, name: `token:${row.name}`, role: row.role as Role };
    }
    return undefined;
  }

  // ---- enrollment tokens ----

  createEnrollmentToken(opts: { description: string; createdBy: string; ttlSeconds: number; maxUses: number }): { record: TokenRecord; token: string } {
    const token = newSecret('vgl_enr');
    const record: TokenRecord = {
      id: randomUUID(),
      description: opts.description,
      createdBy: opts.createdBy,
      createdAt: now(),
      expiresAt: new Date(Date.now() + opts.ttlSeconds * 1000).toISOString(),
      maxUses: opts.maxUses,
      uses: 0,
      revokedAt: null,
    };
    this.#stmt('INSERT INTO enrollment_tokens (id, token_hash, description, created_by, created_at, expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(record.id, hashToken(token), record.description, record.createdBy, record.createdAt, record.expiresAt, record.maxUses);
    return { record, token };
  }

  listEnrollmentTokens(): TokenRecord[] {
    return (this.#stmt('SELECT * FROM enrollment_tokens ORDER BY created_at DESC').all() as Record<string, unknown>[]).map(tokenFromRow);
  }

  revokeEnrollmentToken(id: string): boolean {
    return this.#stmt('UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id).changes === 1;
  }

  /** Throws `enrollment_refused` unless the token can enroll one more agent now. */
  checkEnrollmentToken(token: string): TokenRecord {
    const row = this.#stmt('SELECT * FROM enrollment_tokens WHERE token_hash = ?').get(hashToken(token)) as Record<string, unknown> | undefined;
    if (!row) throw new VigilError('enrollment_refused', 'enrollment token is not known to this server');
    const record = tokenFromRow(row);
    if (record.revokedAt) throw new VigilError('enrollment_refused', 'enrollment token was revoked');
    if (record.expiresAt <= now()) throw new VigilError('enrollment_refused', `enrollment token expired at ${record.expiresAt}`);
    if (record.maxUses > 0 && record.uses >= record.maxUses) throw new VigilError('enrollment_refused', `enrollment token was already used ${record.uses} time(s) of ${record.maxUses}`);
    return record;
  }

  /**
   * Uses one enrollment of the token and registers the agent with its issued certificate, atomically;
   * throws `enrollment_refused` when the token cannot enroll (checked again inside the transaction).
   */
  enrollAgent(token: string, agent: { id: string; hostname: string; address: string; serial: string; notAfter: string }): void {
    this.#db.transaction(() => {
      const record = this.checkEnrollmentToken(token);
      this.#stmt('UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ?').run(record.id);
      this.#stmt('INSERT INTO agents (id, hostname, cert_serial, enrolled_at, enrolled_with, address) VALUES (?, ?, ?, ?, ?, ?)')
        .run(agent.id, agent.hostname, agent.serial, now(), record.id, agent.address);
      this.#stmt('INSERT INTO certificates (serial, agent_id, issued_at, not_after) VALUES (?, ?, ?, ?)').run(agent.serial, agent.id, now(), agent.notAfter);
    })();
  }

  // ---- agents ----

  /** The agent a client certificate belongs to, if the certificate is known and not revoked. */
  agentForCertificate(serial: string, commonName: string): { agentId: string } | { refused: string } {
    const row = this.#stmt('SELECT c.agent_id, c.revoked_at, a.revoked_at AS agent_revoked FROM certificates c JOIN agents a ON a.id = c.agent_id WHERE c.serial = ?').get(serial) as
      | Record<string, string | null>
      | undefined;
    if (!row) return { refused: 'client certificate is not registered with this server' };
    if (row.revoked_at || row.agent_revoked) return { refused: `agent ${row.agent_id} is revoked` };
    if (row.agent_id !== commonName) return { refused: 'client certificate common name does not match its registration' };
    return { agentId: row.agent_id! };
  }

  revokeAgent(id: string, reason: string): boolean {
    const time = now();
    const changed = this.#stmt('UPDATE agents SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL').run(time, reason, id).changes === 1;
    this.#stmt('UPDATE certificates SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL').run(time, id);
    return changed;
  }

  touchAgent(id: string, address: string | undefined, heartbeat?: Record<string, unknown>): void {
    if (heartbeat) {
      this.#stmt('UPDATE agents SET last_seen = ?, last_heartbeat = ?, address = coalesce(?, address), hostname = coalesce(?, hostname) WHERE id = ?')
        .run(now(), JSON.stringify(heartbeat), address ?? null, typeof heartbeat.hostname === 'string' ? heartbeat.hostname : null, id);
    } else {
      this.#stmt('UPDATE agents SET last_seen = ?, address = coalesce(?, address) WHERE id = ?').run(now(), address ?? null, id);
    }
  }

  /** Sets last_seen (now) and address of several agents in one transaction: one fsync for all. */
  touchAgents(entries: readonly { id: string; address: string | undefined }[]): void {
    if (!entries.length) return;
    const statement = this.#stmt('UPDATE agents SET last_seen = ?, address = coalesce(?, address) WHERE id = ?');
    const at = now();
    this.#db.transaction(() => {
      for (const entry of entries) statement.run(at, entry.address ?? null, entry.id);
    })();
  }

  listAgents(): AgentRecord[] {
    return (this.#stmt('SELECT * FROM agents ORDER BY hostname, enrolled_at').all() as Record<string, unknown>[]).map(agentFromRow);
  }

  getAgent(id: string): AgentRecord | undefined {
    const row = this.#stmt('SELECT * FROM agents WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return row ? agentFromRow(row) : undefined;
  }
}

function tokenFromRow(row: Record<string, unknown>): TokenRecord {
  return {
    id: String(row.id),
    description: String(row.description),
    createdBy: String(row.created_by),
    createdAt: String(row.created_at),
    expiresAt: String(row.expires_at),
    maxUses: Number(row.max_uses),
    uses: Number(row.uses),
    revokedAt: (row.revoked_at as string | null) ?? null,
  };
}

function agentFromRow(row: Record<string, unknown>): AgentRecord {
  return {
    id: String(row.id),
    hostname: String(row.hostname),
    certSerial: String(row.cert_serial),
    enrolledAt: String(row.enrolled_at),
    revokedAt: (row.revoked_at as string | null) ?? null,
    lastSeen: (row.last_seen as string | null) ?? null,
    lastHeartbeat: row.last_heartbeat ? (JSON.parse(String(row.last_heartbeat)) as Record<string, unknown>) : null,
    address: (row.address as string | null) ?? null,
  };
}
