// Services from what is on disk, without asking a service manager (PID 1 may not be systemd): systemd unit files with
// their enabled state from the .wants/.requires links, and SysV init scripts with their rc?.d start links.
// Never executes anything it reads; unreadable files are reported as rows with what could be read.

import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceInfo {
  name: string;
  type: 'systemd' | 'sysv';
  enabled: boolean;
  /** systemd: enabled, disabled, static (no [Install] section), masked; sysv: enabled, disabled. */
  startType: 'enabled' | 'disabled' | 'static' | 'masked';
  executable?: string;
  unitPath: string;
  account?: string;
}

/** Unit directories in systemd's precedence order (a unit in an earlier one hides the same name in a later one). */
export const SYSTEMD_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'] as const;
export const SYSV_INIT_DIR = '/etc/init.d';
export const SYSV_RC_DIRS = ['/etc/rc2.d', '/etc/rc3.d', '/etc/rc4.d', '/etc/rc5.d'] as const;
const SYSV_IGNORED = new Set(['README', 'skeleton', 'rc', 'rcS', 'functions']);

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Reads `ExecStart` (first command, without systemd's prefixes), `User` and whether an [Install] section exists. */
export function parseUnitFile(text: string): { execStart?: string; user?: string; hasInstall: boolean } {
  let section = '';
  let execStart: string | undefined;
  let user: string | undefined;
  let hasInstall = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      if (section === 'Install') hasInstall = true;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (section === 'Service' && key === 'ExecStart' && value && execStart === undefined) {
      const command = value.replace(/^[@\-:+!]+/, '').split(/\s+/)[0];
      if (command) execStart = command.slice(0, 4096);
    }
    if (section === 'Service' && key === 'User' && value) user = value.slice(0, 256);
  }
  return { ...(execStart ? { execStart } : {}), ...(user ? { user } : {}), hasInstall };
}

/** Units linked from a .wants or .requires directory under any unit directory (what "enabled" means on disk). */
export function wantedUnits(root = '/'): Set<string> {
  const wanted = new Set<string>();
  for (const dir of SYSTEMD_UNIT_DIRS) {
    const base = join(root, dir);
    for (const entry of list(base)) {
      if (!entry.endsWith('.wants') && !entry.endsWith('.requires')) continue;
      for (const unit of list(join(base, entry))) wanted.add(unit);
    }
  }
  return wanted;
}

export function scanSystemdServices(root = '/'): ServiceInfo[] {
  const wanted = wantedUnits(root);
  const seenDirs = new Set<string>();
  const byName = new Map<string, ServiceInfo>();
  for (const dir of SYSTEMD_UNIT_DIRS) {
    const base = join(root, dir);
    let real: string;
    try {
      real = realpathSync(base);
    } catch {
      continue;
    }
    if (seenDirs.has(real)) continue;
    seenDirs.add(real);
    for (const name of list(base)) {
      if (!name.endsWith('.service') || byName.has(name)) continue;
      const path = join(base, name);
      let masked = false;
      try {
        const link = lstatSync(path);
        if (link.isSymbolicLink() && readlinkSync(path) === '/dev/null') masked = true;
        else if (!statSync(path).isFile()) continue;
        else if (statSync(path).size === 0) masked = true;
      } catch {
        continue;
      }
      let parsed: ReturnType<typeof parseUnitFile> = { hasInstall: false };
      if (!masked) {
        try {
          parsed = parseUnitFile(readFileSync(path, 'utf8'));
        } catch {
          // unreadable: the row keeps its name and path
        }
      }
      const enabled = !masked && wanted.has(name);
      byName.set(name, {
        name,
        type: 'systemd',
        enabled,
        startType: masked ? 'masked' : enabled ? 'enabled' : parsed.hasInstall ? 'disabled' : 'static',
        ...(parsed.execStart ? { executable: parsed.execStart } : {}),
        unitPath: join(dir, name),
        ...(parsed.user ? { account: parsed.user } : {}),
      });
    }
  }
  return [...byName.values()];
}

export function scanSysvServices(root = '/'): ServiceInfo[] {
  const started = new Set<string>();
  for (const dir of SYSV_RC_DIRS) for (const link of list(join(root, dir))) if (/^S\d\d/.test(link)) started.add(link.slice(3));
  const out: ServiceInfo[] = [];
  for (const name of list(join(root, SYSV_INIT_DIR))) {
    if (SYSV_IGNORED.has(name) || name.startsWith('.')) continue;
    try {
      const st = statSync(join(root, SYSV_INIT_DIR, name));
      if (!st.isFile() || (st.mode & 0o111) === 0) continue;
    } catch {
      continue;
    }
    const enabled = started.has(name);
    out.push({ name, type: 'sysv', enabled, startType: enabled ? 'enabled' : 'disabled', executable: join(SYSV_INIT_DIR, name), unitPath: join(SYSV_INIT_DIR, name) });
  }
  return out;
}

/** systemd units and SysV scripts; a SysV script with a systemd unit of the same name is shown once, as systemd. */
export function scanServices(root = '/'): ServiceInfo[] {
  const systemd = scanSystemdServices(root);
  const names = new Set(systemd.map((s) => s.name));
  return [...systemd, ...scanSysvServices(root).filter((s) => !names.has(`${s.name}.service`))];
}
