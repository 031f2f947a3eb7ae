// Test networks of real Linux network namespaces: a switch namespace with a bridge, one namespace per host joined to
// it by veth pairs on a private 10.213.N.0/24, and a veth from the test's own namespace so tests can reach the hosts.
// Names are unique per run; destroy() (also registered for process exit) removes everything, even after failures.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

export interface NetHost {
  name: string;
  /** Network namespace name (for `ip netns exec`). */
  ns: string;
  address: string;
  /** Prefix for spawning a command inside this host: `['ip', 'netns', 'exec', ns]`. */
  wrap: string[];
  /** `<name>.vigil.test`: every host of the LAN resolves it (an /etc/hosts that `ip netns exec` mounts for the host). */
  dnsName: string;
}

export interface Lan {
  id: string;
  subnet: string;
  hosts: Record<string, NetHost>;
  /** Address of the test process's own side of the LAN. */
  rootAddress: string;
  /** Runs a command inside a host and returns its stdout; throws with stderr when it fails. */
  exec(host: string, file: string, args: string[], input?: string): string;
  /** Starts a long-running command inside a host; it is killed by destroy(). */
  spawn(host: string, file: string, args: string[], env?: Record<string, string>): ChildProcess;
  destroy(): void;
}

const live = new Set<Lan>();
let exitHook = false;

function run(file: string, args: string[], input?: string): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

function quiet(file: string, args: string[]): void {
  try {
    run(file, args);
  } catch {
    // already gone
  }
}

/** A /24 of 10.213.0.0/16 that is not in use in the test's own namespace. */
function freeSubnet(): number {
  const used = run('ip', ['-4', 'addr', 'show']) + run('ip', ['-4', 'route', 'show']);
  for (let attempt = 0; attempt < 200; attempt++) {
    const octet = 1 + Math.floor(Math.random() * 250);
    if (!used.includes(`10.213.${octet}.`)) return octet;
  }
  throw new Error('no free 10.213.N.0/24 subnet for the test network');
}

/**
 * Creates the LAN. Host i gets 10.213.N.(i+1); the test's namespace gets .254. Needs root (ip netns).
 * Fails loudly (no skip) when namespaces cannot be created.
 */
export function createLan(names: readonly string[]): Lan {
  const id = randomBytes(2).toString('hex');
  const octet = freeSubnet();
  const prefix = `10.213.${octet}`;
  const switchNs = `vigil-${id}-sw`;
  const rootIf = `vgl${id}h`;
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  const hosts: Record<string, NetHost> = {};
  const lan: Lan = {
    id,
    subnet: `${prefix}.0/24`,
    hosts,
    rootAddress: `${prefix}.254`,
    exec(host, file, args, input) {
      const target = hosts[host];
      if (!target) throw new Error(`no host ${host} in this LAN`);
      return run('ip', ['netns', 'exec', target.ns, file, ...args], input);
    },
    spawn(host, file, args, env = {}) {
      const target = hosts[host];
      if (!target) throw new Error(`no host ${host} in this LAN`);
      const child = spawn('ip', ['netns', 'exec', target.ns, file, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    destroy() {
      if (!live.delete(lan)) return;
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const ns of created) {
        // Anything still running inside (servers, agents, listeners) goes with its namespace.
        try {
          for (const pid of run('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)) quiet('kill', ['-9', pid]);
        } catch {
          // namespace already gone
        }
        quiet('ip', ['netns', 'delete', ns]);
        rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
      }
      quiet('ip', ['link', 'delete', rootIf]);
      quiet('rmdir', ['/etc/netns']); // only when empty: another test network may use it
    },
  };
  live.add(lan);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const open of [...live]) open.destroy();
    });
  }
  try {
    run('ip', ['netns', 'add', switchNs]);
    created.push(switchNs);
    run('ip', ['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', switchNs, 'link', 'set', 'br0', 'up']);
    run('ip', ['-n', switchNs, 'link', 'set', 'lo', 'up']);
    names.forEach((name, i) => {
      const ns = `vigil-${id}-${name}`;
      run('ip', ['netns', 'add', ns]);
      created.push(ns);
      run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', switchNs]);
      run('ip', ['-n', switchNs, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${prefix}.${i + 1}/24`, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      hosts[name] = { name, ns, address: `${prefix}.${i + 1}`, wrap: ['ip', 'netns', 'exec', ns], dnsName: `${name}.vigil.test` };
    });
    // `ip netns exec` bind-mounts /etc/netns/<ns>/hosts over /etc/hosts: the hosts resolve each other by name.
    const hostsFile = ['127.0.0.1 localhost', '::1 localhost', ...Object.values(hosts).map((h) => `${h.address} ${h.dnsName}`)].join('\n') + '\n';
    for (const host of Object.values(hosts)) {
      mkdirSync(`/etc/netns/${host.ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${host.ns}/hosts`, hostsFile);
    }
    run('ip', ['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', switchNs]);
    run('ip', ['-n', switchNs, 'link', 'set', 'uplink', 'master', 'br0', 'up']);
    run('ip', ['addr', 'add', `${prefix}.254/24`, 'dev', rootIf]);
    run('ip', ['link', 'set', rootIf, 'up']);
  } catch (error) {
    lan.destroy();
    throw new Error(`cannot create the test network (needs root, iproute2 and network namespaces): ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  return lan;
}

/** The network namespaces and root-side links of this module that exist now (to check that tests cleaned up). */
export function leftovers(lan: Lan): string[] {
  const namespaces = run('ip', ['netns', 'list']).split('\n').filter((line) => line.startsWith(`vigil-${lan.id}-`));
  const configs = Object.values(lan.hosts).filter((h) => existsSync(`/etc/netns/${h.ns}`)).map((h) => `/etc/netns/${h.ns}`);
  const links = run('ip', ['-o', 'link', 'show']).split('\n').filter((line) => line.includes(`vgl${lan.id}h`));
  return [...namespaces, ...links, ...configs];
}
