// A virtualised table for large results (100k rows): only the rows in view (plus a few) are in the DOM, rows are
// absolutely positioned inside a spacer of the full height. Keyboard: arrows/PageUp/PageDown/Home/End move the active
// row, Enter opens it.

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { visibleRange } from '../lib/virtual.js';

export interface Column {
  name: string;
  type?: string;
  label?: string;
  width?: number;
}

export const ROW_HEIGHT = 28;

export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  if (Array.isArray(value)) return value.map((v) => cellText(v)).join(' ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function defaultWidth(column: Column): number {
  if (column.width) return column.width;
  if (column.name === '@timestamp' || column.type === 'date') return 200;
  if (column.type === 'number' || column.type === 'long' || column.type === 'integer') return 110;
  if (/command_line|path|description|message|args/.test(column.name)) return 380;
  if (/(^|\.)id$|entity_id|hash/.test(column.name)) return 280;
  return 170;
}

export function VirtualTable({
  columns,
  rows,
  height = 480,
  label,
  onOpen,
  renderCell,
}: {
  columns: readonly Column[];
  rows: readonly Record<string, unknown>[];
  height?: number;
  label: string;
  onOpen?: (row: Record<string, unknown>, index: number) => void;
  renderCell?: (column: Column, row: Record<string, unknown>) => ReactNode | undefined;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(height);
  const [active, setActive] = useState(-1);
  const frame = useRef(0);
  const widths = useMemo(() => columns.map(defaultWidth), [columns]);
  const template = widths.map((w) => `${w}px`).join(' ');
  const totalWidth = widths.reduce((a, b) => a + b, 0);
  const range = visibleRange(scrollTop, viewport - ROW_HEIGHT, ROW_HEIGHT, rows.length, 10);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setViewport(element.clientHeight));
    observer.observe(element);
    setViewport(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    setActive(-1);
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  }, [rows]);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const onScroll = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => setScrollTop(scroller.current?.scrollTop ?? 0));
  }, []);

  const moveTo = (index: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    setActive(next);
    const element = scroller.current;
    if (!element) return;
    const top = next * ROW_HEIGHT;
    const visible = element.clientHeight - ROW_HEIGHT;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + ROW_HEIGHT > element.scrollTop + visible) element.scrollTop = top + ROW_HEIGHT - visible;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!rows.length) return;
    const page = Math.max(1, Math.floor((viewport - ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + page, PageUp: active - page, Home: 0, End: rows.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      moveTo(moves[event.key]!);
    } else if (event.key === 'Enter' && active >= 0 && onOpen) {
      event.preventDefault();
      onOpen(rows[active]!, active);
    }
  };

  const visibleRows: ReactNode[] = [];
  for (let index = range.start; index < range.end; index++) {
    const row = rows[index]!;
    visibleRows.push(
      <div
        key={index}
        id={`vt-row-${index}`}
        role="row"
        aria-rowindex={index + 2}
        aria-selected={index === active}
        className={`vt-row${index === active ? ' vt-active' : ''}${index % 2 ? ' vt-odd' : ''}`}
        style={{ transform: `translateY(${index * ROW_HEIGHT}px)`, gridTemplateColumns: template, width: totalWidth }}
        onClick={() => {
          setActive(index);
          onOpen?.(row, index);
        }}
      >
        {columns.map((column) => {
          const custom = renderCell?.(column, row);
          const text = cellText(row[column.name]);
          return (
            <div key={column.name} role="gridcell" className="vt-cell" title={text.length > 40 ? text : undefined}>
              {custom ?? text}
            </div>
          );
        })}
      </div>,
    );
  }

  return (
    <div
      className="vt"
      role="grid"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length}
      aria-activedescendant={active >= 0 ? `vt-row-${active}` : undefined}
      tabIndex={0}
      ref={scroller}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
      style={{ height }}
      data-total-rows={rows.length}
    >
      <div role="row" aria-rowindex={1} className="vt-header" style={{ gridTemplateColumns: template, width: totalWidth }}>
        {columns.map((column) => (
          <div key={column.name} role="columnheader" className="vt-cell" title={column.type}>
            {column.label ?? column.name}
          </div>
        ))}
      </div>
      <div className="vt-body" style={{ height: range.totalHeight, width: totalWidth }}>
        {visibleRows}
      </div>
    </div>
  );
}
