// Layered tree layout: every node placed once, no two nodes on one spot, parents between their children, children one
// column right of their parent; random forests with duplicates, unknown parents and cycles never loop or throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { layoutTree, type LayoutInput } from './tree-layout.js';

const options = { nodeWidth: 100, nodeHeight: 20, levelGap: 10, siblingGap: 5 };

test('a chain with a fork: depth to the right, siblings stacked, the parent centred on its children', () => {
  const layout = layoutTree(
    [
      { id: 'sshd', parent: null },
      { id: 'bash', parent: 'sshd' },
      { id: 'curl', parent: 'bash' },
      { id: 'sh', parent: 'bash' },
    ],
    options,
  );
  const at = (id: string) => layout.nodes.get(id)!;
  assert.deepEqual([at('sshd').depth, at('bash').depth, at('curl').depth, at('sh').depth], [0, 1, 2, 2]);
  assert.deepEqual([at('curl').slot, at('sh').slot, at('bash').slot, at('sshd').slot], [0, 1, 0.5, 0.5]);
  assert.equal(at('curl').x, 220);
  assert.equal(at('sh').y, 25);
  assert.equal(layout.width, 320);
  assert.equal(layout.height, 45);
});

test('property: random forests lay out without overlaps, with parents between their children', () => {
  const random = seededRandom(20261205);
  for (let round = 0; round < 300; round++) {
    const count = Math.floor(random() * 60);
    const ids = Array.from({ length: count }, (_, i) => `n${i}`);
    const input: LayoutInput[] = ids.map((id) => ({ id, parent: random() < 0.15 ? null : random() < 0.1 ? `ghost${Math.floor(random() * 5)}` : ids[Math.floor(random() * count)]! }));
    if (count && random() < 0.3) input.push({ ...input[0]!, parent: null }); // a duplicate id
    const layout = layoutTree(input, options);
    assert.equal(layout.nodes.size, count, 'every distinct id is placed once');
    const spots = new Set<string>();
    for (const node of layout.nodes.values()) {
      const spot = `${node.depth}:${node.slot}`;
      assert.ok(!spots.has(spot), `two nodes at ${spot} in round ${round}`);
      spots.add(spot);
      assert.equal(node.x, node.depth * 110);
      assert.equal(node.y, node.slot * 25);
    }
    const children = new Map<string, number[]>();
    const parentOf = new Map<string, string | null>();
    for (const n of input) if (!parentOf.has(n.id)) parentOf.set(n.id, n.parent); // the first entry of an id counts
    for (const node of layout.nodes.values()) {
      const parent = parentOf.get(node.id);
      const placedParent = parent ? layout.nodes.get(parent) : undefined;
      if (placedParent && node.depth === placedParent.depth + 1) (children.get(parent!) ?? children.set(parent!, []).get(parent!)!).push(node.slot);
    }
    for (const [parent, slots] of children) {
      const slot = layout.nodes.get(parent)!.slot;
      assert.ok(slot >= Math.min(...slots) && slot <= Math.max(...slots), `parent ${parent} between its children`);
    }
  }
});

test('a cycle is cut into a tree instead of looping', () => {
  const layout = layoutTree(
    [
      { id: 'a', parent: 'c' },
      { id: 'b', parent: 'a' },
      { id: 'c', parent: 'b' },
      { id: 'self', parent: 'self' },
    ],
    options,
  );
  assert.equal(layout.nodes.size, 4);
  assert.deepEqual([...layout.nodes.values()].map((n) => n.depth).sort(), [0, 0, 1, 2]);
});
