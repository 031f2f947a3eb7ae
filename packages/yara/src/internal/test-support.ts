// Test and benchmark helpers: the signature-base rule set of the shared corpus as rule files. Reads the corpus only.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '@vigil/common';
import type { RuleFile } from '../core.js';

/** The 742 rule files of signature-base (yara/*.yar[a] sorted, then vendor/yara/airbnb_binaryalert.yar). */
export function signatureBase(): RuleFile[] {
  const root = corpusPath('yara', 'signature-base');
  const files = readdirSync(join(root, 'yara'))
    .filter((f) => /\.yara?$/.test(f))
    .sort()
    .map((f) => `yara/${f}`);
  files.push('vendor/yara/airbnb_binaryalert.yar');
  return files.map((name) => ({ name, text: readFileSync(join(root, name), 'utf8') }));
}
