// A reversed-label trie over domain names: `evil.example.com` is stored as com → example → evil, and a lookup of
// `a.b.evil.example.com` visits every stored name it is equal to or a subdomain of. Edges are one hash map keyed by
// (parent node, label), so a million names cost a few map entries each instead of one object per node.

export class SuffixTrie<T> {
  readonly #edges = new Map<string, number>();
  readonly #values = new Map<number, T[]>();
  #nextNode = 1;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get nodeCount(): number {
    return this.#nextNode;
  }

  #node(domain: string, create: boolean): number {
    let node = 0;
    let end = domain.length;
    while (end > 0) {
      const dot = domain.lastIndexOf('.', end - 1);
      const key = `${node}.${domain.slice(dot + 1, end)}`;
      let child = this.#edges.get(key);
      if (child === undefined) {
        if (!create) return -1;
        child = this.#nextNode++;
        this.#edges.set(key, child);
      }
      node = child;
      end = dot;
    }
    return node;
  }

  /** `domain` is canonical (lower case, no trailing dot). */
  insert(domain: string, value: T): void {
    const node = this.#node(domain, true);
    const list = this.#values.get(node);
    if (list) list.push(value);
    else this.#values.set(node, [value]);
    this.#size++;
  }

  remove(domain: string, drop: (value: T) => boolean): number {
    const node = this.#node(domain, false);
    if (node < 0) return 0;
    const list = this.#values.get(node);
    if (!list) return 0;
    const kept = list.filter((value) => !drop(value));
    const removed = list.length - kept.length;
    if (kept.length) this.#values.set(node, kept);
    else this.#values.delete(node);
    this.#size -= removed;
    return removed;
  }

  /** Visits the values of every stored name that `domain` equals or is a subdomain of, the shortest name first. */
  lookup(domain: string, visit: (values: readonly T[]) => void): void {
    let node = 0;
    let end = domain.length;
    while (end > 0) {
      const dot = domain.lastIndexOf('.', end - 1);
      const child = this.#edges.get(`${node}.${domain.slice(dot + 1, end)}`);
      if (child === undefined) return;
      node = child;
      const here = this.#values.get(node);
      if (here) visit(here);
      end = dot;
    }
  }
}
