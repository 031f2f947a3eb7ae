// Analyst comments on alerts, kept in the detection database beside the alerts they annotate. Append-only: a comment
// is never edited or deleted through this module, and a comment is never stored for an alert that does not exist.

import { randomUUID } from 'node:crypto';
import { VigilError } from '@vigil/common';
import type { DetectionDb } from './detection-db.js';

export interface AlertComment {
  id: string;
  alertId: string;
  /** Name of the user (or API token) that wrote it, taken from the authenticated session, never from the request body. */
  author: string;
  /** `user` or `api_token`. */
  authorKind: string;
  text: string;
  createdAt: string;
}

/** Longest comment accepted (characters). */
export const MAX_COMMENT_CHARS = 4000;
/** Most comments kept per alert; more are refused rather than silently dropped. */
export const MAX_COMMENTS_PER_ALERT = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_comments (
  id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, author TEXT NOT NULL, author_kind TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_comments_alert ON alert_comments (alert_id, created_at);
`;

interface CommentRow {
  id: string;
  alert_id: string;
  author: string;
  author_kind: string;
  text: string;
  created_at: string;
}

const fromRow = (row: CommentRow): AlertComment => ({ id: row.id, alertId: row.alert_id, author: row.author, authorKind: row.author_kind, text: row.text, createdAt: row.created_at });

export class AlertComments {
  readonly #db: DetectionDb;

  constructor(db: DetectionDb) {
    this.#db = db;
    db.sqlite.db.exec(SCHEMA);
  }

  /** Oldest first. `not_found` when the alert does not exist. */
  list(alertId: string): AlertComment[] {
    if (!this.#db.getAlert(alertId)) throw new VigilError('not_found', `no alert ${alertId}`);
    return (this.#db.sqlite.statement('SELECT * FROM alert_comments WHERE alert_id = ? ORDER BY created_at, rowid').all(alertId) as CommentRow[]).map(fromRow);
  }

  /** Adds a comment; the text is trimmed and must not be empty. `not_found` when the alert does not exist. */
  add(alertId: string, author: { name: string; kind: string }, text: string, now = new Date()): AlertComment {
    const body = text.trim();
    if (!body) throw new VigilError('invalid_input', 'a comment needs some text', { location: { path: 'text' } });
    if (body.length > MAX_COMMENT_CHARS) throw new VigilError('invalid_input', `a comment holds at most ${MAX_COMMENT_CHARS} characters`, { location: { path: 'text' } });
    const file = this.#db.sqlite;
    return file.db.transaction(() => {
      if (!this.#db.getAlert(alertId)) throw new VigilError('not_found', `no alert ${alertId}`);
      const { n } = file.statement('SELECT count(*) AS n FROM alert_comments WHERE alert_id = ?').get(alertId) as { n: number };
      if (n >= MAX_COMMENTS_PER_ALERT) throw new VigilError('invalid_input', `the alert already has ${MAX_COMMENTS_PER_ALERT} comments`);
      const comment: AlertComment = { id: randomUUID(), alertId, author: author.name, authorKind: author.kind, text: body, createdAt: now.toISOString() };
      file.statement('INSERT INTO alert_comments (id, alert_id, author, author_kind, text, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        comment.id, comment.alertId, comment.author, comment.authorKind, comment.text, comment.createdAt,
      );
      return comment;
    })();
  }
}
