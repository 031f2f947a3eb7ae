export { createChangeSource, type ChangeSourceOptions } from './change-source.js';
export { unifiedDiff, diffLines, truncate } from './unified-diff.js';
export { watchPoints, type WatchPoint } from './watch-points.js';
