// Parser of /proc/modules: loaded kernel modules with size, users, state and taint flags.
// Never throws; malformed lines are skipped and counted. A kernel without module support has no /proc/modules.

export interface KernelModule {
  name: string;
  size: number;
  usedBy: string[];
  state: string;
  taint?: string;
}

export function parseProcModules(text: string): { modules: KernelModule[]; skipped: number } {
  const modules: KernelModule[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const parts = line.trim().split(/\s+/);
    const [name, size, , deps, state] = parts;
    if (!name || !/^[A-Za-z0-9_-]{1,64}$/.test(name) || !size || !/^\d{1,15}$/.test(size) || !deps || !state) {
      skipped++;
      continue;
    }
    const taint = parts.slice(6).join(' ').match(/^\(([A-Z]+)\)$/)?.[1];
    modules.push({ name, size: Number(size), usedBy: deps === '-' ? [] : deps.split(',').filter(Boolean), state, ...(taint ? { taint } : {}) });
  }
  return { modules, skipped };
}
