// Colours of the console's charts and badges, one place so every chart reads the same.

export const levelColors: Record<string, string> = {
  critical: '#ef4444',
  high: '#f97316',
  medium: '#eab308',
  low: '#3b82f6',
  informational: '#94a3b8',
};

export const stateColors: Record<string, string> = {
  online: '#22c55e',
  offline: '#64748b',
  isolated: '#a855f7',
  revoked: '#ef4444',
};

/** A palette for arbitrary series (timechart groups), distinguishable on the dark background. */
export const palette = ['#38bdf8', '#f472b6', '#a3e635', '#fb923c', '#c084fc', '#facc15', '#2dd4bf', '#f87171', '#818cf8', '#4ade80'];
