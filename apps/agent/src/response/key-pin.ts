// The agent's pinned task-signing key: pinned at first sight (enrollment answer or first heartbeat over mutual TLS),
// afterwards replaced only by following rotation statements signed with the pinned key. Never un-pins.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError, createLogger } from '@vigil/common';
import { followRotations, parseKeyOffer, publicKeyId } from '@vigil/response';

export interface PinnedKey {
  keyId: string;
  pem: string;
  pinnedAt: string;
}

export interface KeyPin {
  current(): PinnedKey | undefined;
  /**
   * Considers a key offered by the server. Pins it when nothing is pinned; follows signed rotations when it differs
   * from the pin. Throws `forbidden` (keeping the old pin) when the offered key cannot be reached from the pin.
   */
  offer(value: unknown): 'pinned' | 'unchanged' | 'rotated';
}

export const KEY_PIN_FILE = 'task-signing-key.json';
const log = createLogger('agent.response');

function save(file: string, pin: PinnedKey): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ key_id: pin.keyId, public_key_pem: pin.pem, pinned_at: pin.pinnedAt }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function openKeyPin(stateDir: string): KeyPin {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, KEY_PIN_FILE);
  let pinned: PinnedKey | undefined;
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { key_id?: unknown; public_key_pem?: unknown; pinned_at?: unknown };
      if (typeof parsed.public_key_pem !== 'string' || typeof parsed.key_id !== 'string') throw new Error('key_id or public_key_pem missing');
      if (publicKeyId(parsed.public_key_pem) !== parsed.key_id) throw new Error('key_id does not match the key');
      pinned = { keyId: parsed.key_id, pem: parsed.public_key_pem, pinnedAt: String(parsed.pinned_at ?? '') };
    } catch (error) {
      // A damaged pin is never replaced silently: that would let whoever answers next choose the key.
      throw new VigilError('invalid_config', `pinned task-signing key ${file} is unreadable: ${(error as Error).message}; re-enroll the agent`, { cause: error, location: { file } });
    }
  }
  return {
    current: () => pinned,
    offer(value) {
      const offer = parseKeyOffer(value);
      if (!pinned) {
        if (publicKeyId(offer.public_key_pem) !== offer.key_id) throw new VigilError('forbidden', 'offered task-signing key does not match its key id');
        pinned = { keyId: offer.key_id, pem: offer.public_key_pem, pinnedAt: new Date().toISOString() };
        save(file, pinned);
        log.info('task-signing key pinned', { key_id: pinned.keyId });
        return 'pinned';
      }
      if (offer.key_id === pinned.keyId) return 'unchanged';
      const next = followRotations(pinned.pem, offer);
      const previous = pinned.keyId;
      pinned = { keyId: next.keyId, pem: next.pem, pinnedAt: new Date().toISOString() };
      save(file, pinned);
      log.info('task-signing key rotated', { from: previous, to: next.keyId, steps: next.steps });
      return 'rotated';
    },
  };
}

/**
 * Enrollment answer (over TLS pinned to the CA fingerprint): a new identity starts a new trust, so any pin left by an
 * earlier enrollment in this folder is replaced.
 */
export function pinAtEnrollment(stateDir: string, offer: unknown): void {
  rmSync(join(stateDir, KEY_PIN_FILE), { force: true });
  openKeyPin(stateDir).offer(offer);
}
