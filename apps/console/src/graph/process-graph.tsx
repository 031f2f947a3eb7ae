// Interactive process / attack-chain graph in SVG: layered tree layout (lib/tree-layout), pan by dragging, zoom with
// the wheel or + / - / 0 keys, nodes reachable with Tab and opened with Enter or a click (details beside the graph).

import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from 'react';
import { layoutTree } from '../lib/tree-layout.js';
import type { GraphNode } from '../lib/graph-model.js';

const NODE_W = 230;
const NODE_H = 46;
const options = { nodeWidth: NODE_W, nodeHeight: NODE_H, levelGap: 64, siblingGap: 14 };
const kindLabel: Record<GraphNode['kind'], string> = { process: 'process', file: 'file', network: 'connection', dns: 'DNS', more: 'more' };

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function ProcessGraph({ nodes, height = 480, initialSelection }: { nodes: readonly GraphNode[]; height?: number; initialSelection?: string | null }) {
  const layout = useMemo(() => layoutTree(nodes.map((n) => ({ id: n.id, parent: n.parent })), options), [nodes]);
  const byId = useMemo(() => new Map(nodes.map((n) => [n.id, n])), [nodes]);
  const [selected, setSelected] = useState<string | null>(initialSelection ?? nodes.find((n) => n.highlight)?.id ?? null);
  const [view, setView] = useState({ x: 20, y: 20, k: 1 });
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null);

  /** Fits the graph into the view (not below 0.2x); when it does not fit whole, the highlighted node stays in view. */
  const fit = () => {
    const width = box.current?.clientWidth ?? 800;
    const k = Math.min(1.2, Math.max(0.2, Math.min((width - 40) / Math.max(1, layout.width), (height - 40) / Math.max(1, layout.height))));
    let x = Math.max(20, (width - layout.width * k) / 2);
    let y = Math.max(20, (height - layout.height * k) / 2);
    const highlighted = nodes.find((n) => n.highlight);
    const at = highlighted ? layout.nodes.get(highlighted.id) : undefined;
    if (at) {
      // Centre the highlighted node on an axis where it would fall outside the view.
      if (x + (at.x + NODE_W) * k > width - 20 || x + at.x * k < 20) x = width / 2 - (at.x + NODE_W / 2) * k;
      if (y + (at.y + NODE_H) * k > height - 20 || y + at.y * k < 20) y = height / 2 - (at.y + NODE_H / 2) * k;
    }
    setView({ x, y, k });
  };
  useLayoutEffect(fit, [layout, height]);
  useEffect(() => {
    if (initialSelection !== undefined) setSelected(initialSelection);
  }, [initialSelection]);

  const zoom = (factor: number, cx?: number, cy?: number) => {
    setView((v) => {
      const k = Math.min(3, Math.max(0.15, v.k * factor));
      const px = cx ?? (box.current?.clientWidth ?? 800) / 2;
      const py = cy ?? height / 2;
      return { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
    });
  };
  const onWheel = (event: WheelEvent<SVGSVGElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - rect.left, event.clientY - rect.top);
  };
  const onPointerDown = (event: PointerEvent<SVGSVGElement>) => {
    if ((event.target as Element).closest('[data-node]')) return;
    drag.current = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
    event.currentTarget.setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (d) setView((v) => ({ ...v, x: d.vx + event.clientX - d.x, y: d.vy + event.clientY - d.y }));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = 40;
    const keys: Record<string, () => void> = {
      '+': () => zoom(1.2),
      '=': () => zoom(1.2),
      '-': () => zoom(1 / 1.2),
      '0': fit,
      ArrowLeft: () => setView((v) => ({ ...v, x: v.x + step })),
      ArrowRight: () => setView((v) => ({ ...v, x: v.x - step })),
      ArrowUp: () => setView((v) => ({ ...v, y: v.y + step })),
      ArrowDown: () => setView((v) => ({ ...v, y: v.y - step })),
    };
    if ((event.target as Element).closest('[data-node]') && event.key.startsWith('Arrow')) return;
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  const edges = nodes.flatMap((n) => {
    const child = layout.nodes.get(n.id);
    const parent = n.parent ? layout.nodes.get(n.parent) : undefined;
    if (!child || !parent) return [];
    const x1 = parent.x + NODE_W;
    const y1 = parent.y + NODE_H / 2;
    const x2 = child.x;
    const y2 = child.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    return [<path key={`e-${n.id}`} className={`graph-edge graph-edge-${n.kind}`} d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} />];
  });
  const current = selected ? byId.get(selected) : undefined;

  return (
    <div className="graph-wrap">
      <div className="graph" ref={box} onKeyDown={onKeyDown} tabIndex={0} aria-label="Process graph: drag to pan, + and - to zoom, 0 to fit, Tab to move between nodes" role="group" data-testid="process-graph">
        <div className="graph-controls">
          <button type="button" onClick={() => zoom(1.2)} aria-label="Zoom in">
            +
          </button>
          <button type="button" onClick={() => zoom(1 / 1.2)} aria-label="Zoom out">
            −
          </button>
          <button type="button" onClick={fit}>
            Fit
          </button>
          <span className="muted small">{nodes.filter((n) => n.kind === 'process').length} processes · {nodes.filter((n) => n.kind !== 'process').length} artifacts</span>
        </div>
        <svg width="100%" height={height} onWheel={onWheel} onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={() => (drag.current = null)} className="graph-svg">
          <g transform={`translate(${view.x},${view.y}) scale(${view.k})`}>
            {edges}
            {nodes.map((n) => {
              const p = layout.nodes.get(n.id);
              if (!p) return null;
              return (
                <g
                  key={n.id}
                  data-node={n.id}
                  data-kind={n.kind}
                  className={`graph-node graph-${n.kind}${n.highlight ? ' graph-highlight' : ''}${n.id === selected ? ' graph-selected' : ''}`}
                  transform={`translate(${p.x},${p.y})`}
                  tabIndex={0}
                  role="button"
                  aria-pressed={n.id === selected}
                  aria-label={`${kindLabel[n.kind]} ${n.label}${n.highlight ? ' (alert)' : ''}`}
                  onClick={() => setSelected(n.id)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter' || event.key === ' ') {
                      event.preventDefault();
                      setSelected(n.id);
                    }
                  }}
                >
                  <rect width={NODE_W} height={NODE_H} rx={6} />
                  <text x={10} y={18} className="graph-label">
                    {clip(n.label, 30)}
                  </text>
                  <text x={10} y={35} className="graph-sublabel">
                    {clip(n.sublabel, 36)}
                  </text>
                </g>
              );
            })}
          </g>
        </svg>
      </div>
      <aside className="graph-details" aria-live="polite" data-testid="graph-details">
        {current ? (
          <>
            <h3>
              {kindLabel[current.kind]}: {current.label}
            </h3>
            <dl className="kv compact">
              {current.details.map(([k, v]) => (
                <div className="kv-row" key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
          </>
        ) : (
          <p className="muted">Select a node for its details.</p>
        )}
      </aside>
    </div>
  );
}
