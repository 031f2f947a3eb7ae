// The agent side of a response action: one ActionHandler per ActionSpec (packages/response), registered by name.
// The task runner verifies the task's signature, expiry, nonce and target and validates the arguments against the
// spec before `run` is called; handlers never see an unverified task.

import type { HeartbeatBody } from '@vigil/protocol';
import type { ActionOutcome, ActionProgress } from '@vigil/response';

export interface ActionContext {
  agentId: string;
  /** The agent's state folder; handlers keep durable state (isolation ruleset, quarantine vault) under it. */
  stateDir: string;
  /** The server's agent endpoint; isolation must keep it reachable. */
  server: { host: string; port: number };
  taskId: string;
  signal: AbortSignal;
  progress(update: ActionProgress): void;
}

/**
 * Contract: `run` applies the action, verifies its effect and resolves with the outcome; it throws only a VigilError
 * (code `system`, `not_found`, `invalid_input` or `conflict`), which the runner reports as a failed task.
 * `restore`, when present, is called once at agent start to re-apply durable state (isolation survives restarts).
 */
export interface ActionHandler<A = Record<string, unknown>> {
  readonly action: string;
  run(args: A, context: ActionContext): Promise<ActionOutcome>;
  restore?(context: Omit<ActionContext, 'taskId' | 'progress'>): Promise<void>;
  /** Optional: the action's effect as it stands on the host now, checked (never changed), for the heartbeat. */
  report?(context: Pick<ActionContext, 'stateDir'>): Promise<HandlerReport>;
}

/** Heartbeat fields a handler reports (host isolation). */
export type HandlerReport = Partial<Pick<HeartbeatBody, 'isolation'>>;
