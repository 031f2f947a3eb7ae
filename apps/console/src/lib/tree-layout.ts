// Layered tree layout for the process graph: depth runs left to right, siblings stack top to bottom, each parent
// centred on its children. Pure and iterative (no recursion limit); cycles and unknown parents never loop or throw.

export interface LayoutInput {
  id: string;
  /** Parent id; a missing or unknown parent makes the node a root. */
  parent: string | null;
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal space between depth columns. */
  levelGap: number;
  /** Vertical space between neighbouring leaves. */
  siblingGap: number;
}

export interface PlacedNode {
  id: string;
  depth: number;
  /** Position along the sibling axis in leaf slots (parents sit between their first and last child). */
  slot: number;
  x: number;
  y: number;
}

export interface TreeLayout {
  nodes: Map<string, PlacedNode>;
  width: number;
  height: number;
}

export function layoutTree(input: readonly LayoutInput[], options: LayoutOptions): TreeLayout {
  const ids = new Set<string>();
  const order: string[] = [];
  for (const node of input) {
    if (ids.has(node.id)) continue;
    ids.add(node.id);
    order.push(node.id);
  }
  const parentOf = new Map<string, string | null>();
  for (const node of input) if (!parentOf.has(node.id)) parentOf.set(node.id, node.parent !== null && ids.has(node.parent) && node.parent !== node.id ? node.parent : null);

  // A node whose ancestry loops back on itself is cut from its parent so that the loop has a root.
  for (const id of order) {
    const seen = new Set<string>([id]);
    let cursor = parentOf.get(id) ?? null;
    while (cursor !== null) {
      if (seen.has(cursor)) {
        parentOf.set(id, null);
        break;
      }
      seen.add(cursor);
      cursor = parentOf.get(cursor) ?? null;
    }
  }

  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const id of order) {
    const parent = parentOf.get(id) ?? null;
    if (parent === null) roots.push(id);
    else (children.get(parent) ?? children.set(parent, []).get(parent)!).push(id);
  }

  const placed = new Map<string, PlacedNode>();
  const columnWidth = options.nodeWidth + options.levelGap;
  const rowHeight = options.nodeHeight + options.siblingGap;
  let nextSlot = 0;
  let maxDepth = 0;
  for (const root of roots) {
    // Post-order walk with an explicit stack: a node is placed after all of its children.
    const stack: { id: string; depth: number; expanded: boolean }[] = [{ id: root, depth: 0, expanded: false }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const kids = children.get(top.id) ?? [];
      if (!top.expanded && kids.length) {
        top.expanded = true;
        for (let i = kids.length - 1; i >= 0; i--) stack.push({ id: kids[i]!, depth: top.depth + 1, expanded: false });
        continue;
      }
      stack.pop();
      const slot = kids.length ? (placed.get(kids[0]!)!.slot + placed.get(kids[kids.length - 1]!)!.slot) / 2 : nextSlot++;
      maxDepth = Math.max(maxDepth, top.depth);
      placed.set(top.id, { id: top.id, depth: top.depth, slot, x: top.depth * columnWidth, y: slot * rowHeight });
    }
  }
  return {
    nodes: placed,
    width: placed.size ? (maxDepth + 1) * columnWidth - options.levelGap : 0,
    height: placed.size ? nextSlot * rowHeight - options.siblingGap : 0,
  };
}
