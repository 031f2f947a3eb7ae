// Runs one network response handler in this process and prints its outcome as JSON: the isolation and blocking tests
// start it inside an endpoint's network namespace (`ip netns exec`) to test the handlers without the task channel.
// Usage: node netns-action.js <action> '<args JSON>' '<context JSON: {stateDir, server: {host, port}}>'

import { createBlockHandlers } from '@vigil/agent/response/handlers/block';
import { createIsolationHandlers } from '@vigil/agent/response/handlers/isolate';

const [action, argsText = '{}', contextText = '{}', mode = 'run'] = process.argv.slice(2);
const handler = [...createIsolationHandlers(), ...createBlockHandlers()].find((h) => h.action === action);
if (!handler) {
  console.error(`no handler ${action}`);
  process.exit(2);
}
const context = JSON.parse(contextText) as { stateDir: string; server: { host: string; port: number } };
const full = { agentId: 'test', taskId: `test-${Date.now()}`, signal: new AbortController().signal, progress: () => undefined, ...context };
try {
  if (mode === 'restore') {
    await handler.restore?.(full);
    console.log(JSON.stringify({ ok: true, restored: true }));
  } else {
    console.log(JSON.stringify(await handler.run(JSON.parse(argsText) as Record<string, unknown>, full)));
  }
} catch (error) {
  const e = error as { code?: string; message?: string };
  console.log(JSON.stringify({ ok: false, error: { code: e.code ?? 'internal', message: e.message ?? String(error) } }));
}
