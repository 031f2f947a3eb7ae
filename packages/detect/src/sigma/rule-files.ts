// Reads Sigma rule files from disk: one .yml/.yaml file, or every such file under a directory, in a stable order.
// Never parses or interprets the text; a missing path is a VigilError, an unreadable file inside a tree too.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';

export interface RuleSource {
  file: string;
  text: string;
}

const ruleFilePattern = /\.ya?ml$/i;

/** A .yml/.yaml file, or every such file under a directory (recursive, sorted). */
export function readRuleSources(path: string): RuleSource[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new VigilError('not_found', `rule path ${path} cannot be read`, { cause: error, location: { file: path } });
  }
  const files = isDirectory ? listRuleFiles(path) : [path];
  return files.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (error) {
      throw new VigilError('system', `rule file ${file} cannot be read`, { cause: error, location: { file } });
    }
  });
}

function listRuleFiles(directory: string): string[] {
  const found: string[] = [];
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...listRuleFiles(full));
    else if (entry.isFile() && ruleFilePattern.test(entry.name)) found.push(full);
  }
  return found;
}
