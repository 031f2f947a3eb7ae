// Parser of dpkg's status database (/var/lib/dpkg/status): installed packages with version, architecture and size.
// Never throws on bad input: a stanza without a name or with an unparsable field is skipped and counted.

export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string;
  /** Installed-Size in bytes (dpkg records KiB). */
  size?: number;
  /** First line of Description. */
  summary?: string;
  /** Status field, e.g. "install ok installed". */
  status: string;
}

export interface DpkgParseResult {
  packages: DpkgPackage[];
  /** Stanzas without a Package field or with a malformed line. */
  skipped: number;
}

/** Package states that mean "files are on disk" (dpkg-query's ii, hi and the half-configured/triggers states). */
const INSTALLED = new Set(['installed', 'half-configured', 'triggers-awaited', 'triggers-pending', 'unpacked']);

/** Splits the deb822 text into stanzas of fields; continuation lines (leading space or tab) join their field. */
export function parseDeb822(text: string): { fields: Map<string, string>; malformed: boolean }[] {
  const stanzas: { fields: Map<string, string>; malformed: boolean }[] = [];
  let fields = new Map<string, string>();
  let malformed = false;
  let last: string | undefined;
  const flush = () => {
    if (fields.size || malformed) stanzas.push({ fields, malformed });
    fields = new Map();
    malformed = false;
    last = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) malformed = true;
      else fields.set(last, `${fields.get(last)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      malformed = true;
      continue;
    }
    last = line.slice(0, colon).trim().toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  flush();
  return stanzas;
}

/** Installed packages of a dpkg status file (packages only configured-files or not-installed are left out). */
export function parseDpkgStatus(text: string): DpkgParseResult {
  const packages: DpkgPackage[] = [];
  let skipped = 0;
  for (const { fields, malformed } of parseDeb822(text)) {
    const name = fields.get('package');
    const status = fields.get('status') ?? '';
    if (!name || malformed || !/^[a-z0-9][a-z0-9+.-]*$/i.test(name)) {
      skipped++;
      continue;
    }
    const state = status.split(/\s+/)[2];
    if (!state || !INSTALLED.has(state)) continue;
    const sizeKiB = fields.get('installed-size');
    const size = sizeKiB !== undefined && /^\d{1,12}$/.test(sizeKiB) ? Number(sizeKiB) * 1024 : undefined;
    const description = fields.get('description');
    packages.push({
      name,
      version: fields.get('version') ?? '',
      architecture: fields.get('architecture') ?? '',
      status,
      ...(size !== undefined ? { size } : {}),
      ...(description ? { summary: description.split('\n')[0]!.slice(0, 1024) } : {}),
    });
  }
  return { packages, skipped };
}
