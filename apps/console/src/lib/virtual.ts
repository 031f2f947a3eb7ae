// Which rows of a long list a virtualised view renders: only those in (or just around) the viewport.
// Pure arithmetic, no DOM; the rendered count is bounded by the viewport whatever the total.

export interface VisibleRange {
  /** First row index to render (inclusive). */
  start: number;
  /** Row index after the last one to render (exclusive). */
  end: number;
  /** Pixels above the first rendered row (the spacer or translation). */
  offset: number;
  /** Height of every row together, for the scroll area. */
  totalHeight: number;
}

export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 8): VisibleRange {
  const rows = Math.max(0, Math.floor(total));
  const height = rowHeight > 0 ? rowHeight : 1;
  const top = Number.isFinite(scrollTop) ? Math.max(0, scrollTop) : 0;
  const viewport = Number.isFinite(viewportHeight) ? Math.max(0, viewportHeight) : 0;
  const first = Math.min(rows, Math.floor(top / height));
  const start = Math.max(0, first - overscan);
  const end = Math.min(rows, first + Math.ceil(viewport / height) + 1 + overscan);
  return { start, end: Math.max(start, end), offset: start * height, totalHeight: rows * height };
}
