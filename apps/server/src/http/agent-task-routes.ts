// Routes of the task channel on the agent listener (mutual TLS): the long-poll that delivers signed tasks and the
// report route for acceptance, progress, results and refusals. The agent is who its client certificate says it is.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { parsePollRequest, parseTaskReport, taskLimits, taskPaths } from '@vigil/response';
import type { ResponseService } from '../response/task-service.js';

function jsonBody(body: unknown, maxBytes: number, what: string): unknown {
  if (!Buffer.isBuffer(body)) throw new VigilError('invalid_input', `send the ${what} as application/json`);
  if (body.length > maxBytes) throw new VigilError('payload_too_large', `${what} larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new VigilError('invalid_input', `${what} is not valid JSON: ${(error as Error).message}`, { location: { path: '$' } });
  }
}

/** Registers on the agent listener, after registerAgentRoutes (whose hook sets request.agentId from the certificate). */
export function registerAgentTaskRoutes(app: FastifyInstance, deps: { service: ResponseService }): void {
  app.post(taskPaths.poll, async (request, reply) => {
    const agentId = request.agentId!;
    const poll = parsePollRequest(jsonBody(request.body, 64 * 1024, 'task poll'));
    if (poll.host_id !== agentId) throw new VigilError('forbidden', 'host_id must be the agent id of the client certificate', { location: { path: '$.host_id' } });
    // A poll whose connection closes while it waits must not take the tasks: they would be marked delivered and lost.
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    return deps.service.poll(agentId, poll, gone.signal);
  });

  app.post(taskPaths.result, async (request) => {
    const agentId = request.agentId!;
    const report = parseTaskReport(jsonBody(request.body, taskLimits.maxReportBytes, 'task report'));
    if (report.host_id !== agentId) throw new VigilError('forbidden', 'host_id must be the agent id of the client certificate', { location: { path: '$.host_id' } });
    deps.service.report(agentId, report);
    return { ok: true };
  });
}
