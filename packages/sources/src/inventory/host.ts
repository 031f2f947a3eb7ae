// The host row of the inventory: OS, kernel, names, addresses, boot time and hardware, from procfs, sysfs and /etc.
// Leaves out what changes on every read (uptime, load), so the row only changes when the host does.

import { readFileSync } from 'node:fs';
import { arch, hostname, networkInterfaces, release } from 'node:os';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** KEY=value pairs of an os-release file (quotes removed). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[match[1]!] = value.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

/** CPU model (first `model name`, or `Hardware`/`cpu model` on other architectures) and logical CPU count. */
export function parseCpuinfo(text: string): { model?: string; count: number } {
  let model: string | undefined;
  let count = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') count++;
    if (model === undefined && (key === 'model name' || key === 'Hardware' || key === 'cpu model') && value) model = value;
  }
  return { ...(model ? { model } : {}), count };
}

const MACHINE: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loongarch64' };

/** The host row (without host.id and inventory.collected, which the agent and server add). */
export function collectHostRow(): Record<string, unknown> {
  const os = parseOsRelease(read('/etc/os-release') ?? read('/usr/lib/os-release') ?? '');
  const cpu = parseCpuinfo(read('/proc/cpuinfo') ?? '');
  const memKiB = /^MemTotal:\s+(\d+)\s+kB/m.exec(read('/proc/meminfo') ?? '')?.[1];
  const btime = /^btime\s+(\d+)/m.exec(read('/proc/stat') ?? '')?.[1];
  const addresses = new Set<string>();
  const macs = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) {
      if (address.internal) continue;
      addresses.add(address.address.replace(/%.*$/, ''));
      if (address.mac && address.mac !== '00:00:00:00:00:00') macs.add(address.mac);
    }
  }
  const short = hostname();
  const fqdn = (read('/etc/hostname') ?? '').trim();
  const dmi = (name: string) => read(`/sys/class/dmi/id/${name}`)?.trim() || undefined;
  const hypervisor = /^flags\s*:.*\bhypervisor\b/m.test(read('/proc/cpuinfo') ?? '');
  const container = read('/.dockerenv') !== undefined ? 'docker' : /container=(\w+)/.exec(read('/proc/1/environ')?.replace(/\0/g, '\n') ?? '')?.[1];
  const vendor = dmi('sys_vendor');
  const model = dmi('product_name');
  return {
    'host.name': short.split('.')[0] || short,
    ...(fqdn.includes('.') ? { 'host.hostname': fqdn } : { 'host.hostname': short }),
    'host.architecture': MACHINE[arch()] ?? arch(),
    'host.ip': [...addresses].sort(),
    'host.mac': [...macs].sort(),
    ...(btime ? { 'host.boot.time': new Date(Number(btime) * 1000).toISOString() } : {}),
    'host.os.family': os.ID_LIKE?.split(' ')[0] ?? os.ID ?? 'linux',
    'host.os.name': os.NAME ?? 'Linux',
    ...(os.VERSION_ID ? { 'host.os.version': os.VERSION_ID } : {}),
    'host.os.kernel': release(),
    'host.os.platform': 'linux',
    ...(cpu.model ? { 'host.cpu.model': cpu.model } : {}),
    'host.cpu.count': cpu.count,
    ...(memKiB ? { 'host.memory.total': Number(memKiB) * 1024 } : {}),
    ...(container ? { 'host.virtualization': container } : hypervisor ? { 'host.virtualization': 'vm' } : {}),
    ...(vendor ? { 'host.hardware.vendor': vendor } : {}),
    ...(model ? { 'host.hardware.model': model } : {}),
  };
}
