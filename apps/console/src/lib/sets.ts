// Small helpers for sets held in React state (selections). Pure; never mutates its input.

/** A copy of `set` with `id` added when absent, removed when present. */
export function toggled<T>(set: ReadonlySet<T>, id: T): Set<T> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
