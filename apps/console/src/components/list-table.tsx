// A list table: an empty message once the rows are loaded and there are none, else a table with one header row.
// Renders no data fetching or error state of its own; the caller passes rows (undefined while loading) and one row renderer.

import type { ReactNode } from 'react';
import { Empty } from './ui.js';

export type Column = string | { label: string; className: string };

export interface ListTableProps<T> {
  rows: readonly T[] | undefined;
  columns: readonly Column[];
  /** Adds a last header cell for screen readers, labelled "Actions" or the given text (the rows render their buttons). */
  actions?: boolean | string;
  /** Shown instead of the table when there are no rows; without it an empty table is shown. */
  empty?: ReactNode;
  testId?: string;
  children: (row: T) => ReactNode;
}

export function ListTable<T>({ rows, columns, actions, empty, testId, children }: ListTableProps<T>) {
  if (!rows) return null;
  if (!rows.length && empty !== undefined) return <Empty>{empty}</Empty>;
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          {columns.map((column) =>
            typeof column === 'string' ? (
              <th key={column} scope="col">
                {column}
              </th>
            ) : (
              <th key={column.label} scope="col" className={column.className}>
                {column.label}
              </th>
            ),
          )}
          {actions ? (
            <th scope="col">
              <span className="sr-only">{actions === true ? 'Actions' : actions}</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>{rows.map(children)}</tbody>
    </table>
  );
}
