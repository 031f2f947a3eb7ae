// A binary (one bit per level) prefix trie over IPv4 or IPv6 addresses: CIDR ranges in, every range containing an
// address out. Nodes live in typed arrays (two child slots each), so a million prefixes cost tens of MiB, not objects.

export class PrefixTrie<T> {
  #left = new Int32Array(1024);
  #right = new Int32Array(1024);
  /** Nodes in use; node 0 is the root and never anybody's child, so 0 in a child slot means "none". */
  #nodes = 1;
  readonly #values = new Map<number, T[]>();
  #size = 0;

  constructor(readonly bits: 32 | 128) {}

  get size(): number {
    return this.#size;
  }

  /** Nodes allocated (for stats). */
  get nodeCount(): number {
    return this.#nodes;
  }

  #grow(): void {
    const left = new Int32Array(this.#left.length * 2);
    const right = new Int32Array(this.#right.length * 2);
    left.set(this.#left);
    right.set(this.#right);
    this.#left = left;
    this.#right = right;
  }

  #node(bytes: Uint8Array, prefix: number, create: boolean): number {
    let node = 0;
    for (let bit = 0; bit < prefix; bit++) {
      const one = (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
      const slots = one ? this.#right : this.#left;
      let child = slots[node]!;
      if (child === 0) {
        if (!create) return -1;
        if (this.#nodes >= this.#left.length) this.#grow();
        child = this.#nodes++;
        (one ? this.#right : this.#left)[node] = child;
      }
      node = child;
    }
    return node;
  }

  insert(bytes: Uint8Array, prefix: number, value: T): void {
    const node = this.#node(bytes, prefix, true);
    const list = this.#values.get(node);
    if (list) list.push(value);
    else this.#values.set(node, [value]);
    this.#size++;
  }

  /** Removes the values of exactly this prefix for which `drop` is true; returns how many. Nodes are kept. */
  remove(bytes: Uint8Array, prefix: number, drop: (value: T) => boolean): number {
    const node = this.#node(bytes, prefix, false);
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

  /** Calls `visit` with the values of every stored prefix that contains the address, shortest prefix first. */
  lookup(bytes: Uint8Array, visit: (values: readonly T[]) => void): void {
    let node = 0;
    for (let bit = 0; ; bit++) {
      const here = this.#values.get(node);
      if (here) visit(here);
      if (bit >= this.bits) return;
      const one = (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
      node = (one ? this.#right : this.#left)[node]!;
      if (node === 0) return;
    }
  }
}
