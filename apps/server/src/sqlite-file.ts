// One way for the server to open its SQLite files: WAL, foreign keys, the durability each file needs, its schema
// applied, and prepared statements cached (they run per request and per batch). Never hides an open failure.

import Database from 'better-sqlite3';
import { VigilError } from '@vigil/common';

export interface SqliteFileOptions {
  /** `FULL`: every commit is fsynced (the only copy of something); `NORMAL`: data that can be derived again. */
  synchronous: 'FULL' | 'NORMAL';
  /** DDL run at every open (`CREATE ... IF NOT EXISTS`). */
  schema: string;
}

export class SqliteFile {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  /** `what` names the file in errors, e.g. "detection database". */
  constructor(file: string, what: string, options: SqliteFileOptions) {
    try {
      this.db = new Database(file);
    } catch (error) {
      throw VigilError.wrap(error, 'unavailable', `cannot open the ${what} ${file}`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous}`);
    this.db.pragma('foreign_keys = ON');
    this.db.exec(options.schema);
  }

  /** The prepared statement for `sql`, prepared once. */
  statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  close(): void {
    this.db.close();
  }
}
