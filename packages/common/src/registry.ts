// A name → implementation registry for pluggable concerns (sources, stores, actions, exporters).
// Registering a name twice is a programming error and throws at once.

import { VigilError } from './errors.js';

export class Registry<T extends { readonly name: string }> {
  readonly #items = new Map<string, T>();
  constructor(readonly kind: string, items: readonly T[] = []) {
    for (const item of items) this.add(item);
  }
  add(item: T): void {
    if (this.#items.has(item.name)) throw new VigilError('internal', `${this.kind} "${item.name}" is registered twice`);
    this.#items.set(item.name, item);
  }
  get(name: string): T {
    const item = this.#items.get(name);
    if (!item) throw new VigilError('not_found', `unknown ${this.kind} "${name}"; known: ${[...this.#items.keys()].join(', ') || 'none'}`);
    return item;
  }
  has(name: string): boolean {
    return this.#items.has(name);
  }
  list(): T[] {
    return [...this.#items.values()];
  }
}
