// Which paths the file actions may touch: resolves a task's path without following its last component and refuses
// system roots, critical files, pseudo file systems, the agent's own state and anything outside the allowed roots.

import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { VigilError } from '@vigil/common';

export interface PathPolicyOptions {
  /** File actions act only below these folders (default: everywhere, `/`). */
  allowedRoots?: readonly string[];
  /** Folders never acted on, with everything below them, besides the built-in ones and the agent's state folder. */
  protectedTrees?: readonly string[];
}

/** Folders that are refused themselves (their contents are fine): deleting or locking one breaks the host. */
export const SYSTEM_ROOTS: ReadonlySet<string> = new Set([
  '/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/lost+found', '/media', '/mnt', '/opt', '/proc', '/root', '/run',
  '/sbin', '/srv', '/sys', '/tmp', '/usr', '/usr/bin', '/usr/lib', '/usr/lib32', '/usr/lib64', '/usr/libexec', '/usr/local', '/usr/local/bin', '/usr/local/sbin',
  '/usr/sbin', '/usr/share', '/usr/include', '/usr/src', '/var', '/var/cache', '/var/lib', '/var/log', '/var/spool', '/var/tmp', '/etc/ssh', '/etc/pam.d', '/etc/security',
  '/etc/systemd', '/etc/init.d', '/dev/shm',
]);

/** Files whose loss locks everyone out of the host. */
export const CRITICAL_FILES: ReadonlySet<string> = new Set(['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/sudoers', '/etc/fstab', '/etc/nsswitch.conf', '/etc/ld.so.cache', '/etc/ld.so.conf']);

/** Pseudo file systems; /dev/shm and /dev/mqueue are ordinary drop locations of malware and stay allowed. */
const BUILT_IN_PROTECTED = ['/proc', '/sys', '/dev'];
const PROTECTED_EXCEPTIONS = ['/dev/shm', '/dev/mqueue'];

const within = (path: string, root: string) => root === '/' || path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return normalize(path);
  }
}

/** `read` (collecting a copy) may read system folders and critical files; `change` may not. */
export type PathAccess = 'read' | 'change';

export interface PathPolicy {
  /**
   * The canonical path a task's `path` names: parent folders resolved through symlinks, the last component kept as
   * it is (a symlink is acted on, never followed). Throws `invalid_input` (location `args.<field>`) when refused.
   */
  resolve(raw: string, field?: string, access?: PathAccess): string;
  /** The same checks for a path already canonical (a quarantined file's original path). */
  check(path: string, field?: string, access?: PathAccess): string;
}

export function createPathPolicy(stateDir: string, options: PathPolicyOptions = {}): PathPolicy {
  const roots = (options.allowedRoots ?? ['/']).map(realOrSelf);
  const protectedTrees = [...BUILT_IN_PROTECTED, ...(options.protectedTrees ?? []).map(realOrSelf), realOrSelf(stateDir)];
  const exceptions = PROTECTED_EXCEPTIONS.map(realOrSelf);

  const check = (path: string, field = 'path', access: PathAccess = 'change'): string => {
    const location = { path: `args.${field}` };
    if (access === 'change' && SYSTEM_ROOTS.has(path)) throw new VigilError('invalid_input', `refusing ${path}: it is a system folder`, { location });
    if (access === 'change' && (CRITICAL_FILES.has(path) || path === process.execPath)) throw new VigilError('invalid_input', `refusing ${path}: the host cannot run without it`, { location });
    const tree = protectedTrees.find((root) => within(path, root) && !exceptions.some((e) => within(path, e)));
    if (tree) throw new VigilError('invalid_input', `refusing ${path}: it is inside the protected folder ${tree}`, { location });
    if (!roots.some((root) => within(path, root))) throw new VigilError('invalid_input', `refusing ${path}: it is outside the folders this agent may act on (${roots.join(', ')})`, { location });
    return path;
  };

  return {
    check,
    resolve(raw, field = 'path', access: PathAccess = 'change') {
      const location = { path: `args.${field}` };
      if (!isAbsolute(raw) || raw.includes('\0')) throw new VigilError('invalid_input', `path must be absolute, got ${JSON.stringify(raw.slice(0, 200))}`, { location });
      const normal = normalize(raw).replace(/(.)\/+$/, '$1');
      if (normal === '/') return check('/', field, access);
      let parent: string;
      try {
        parent = realpathSync(dirname(normal));
      } catch (error) {
        throw new VigilError('not_found', `folder ${dirname(normal)} does not exist`, { location, cause: error });
      }
      return check(join(parent, basename(normal)), field, access);
    },
  };
}
