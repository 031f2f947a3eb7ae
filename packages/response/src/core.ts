// Contracts of response actions, shared by the server (which validates, authorises, signs and audits tasks) and the
// agent (which verifies and runs them). One ActionSpec per action; its agent-side ActionHandler lives in apps/agent.

/** Permissions a response action can require; roles grant them (see apps/server/src/http/access.ts). */
export type ResponsePermission =
  | 'response:collect' // read-only: collect a file, live queries
  | 'response:contain' // reversible containment: isolate, block, suspend, lock account, restrict path
  | 'response:remediate' // changes that remove things: kill, quarantine, delete
  | 'response:power'; // shutdown and reboot

/** A JSON Schema (draft 7 subset that Ajv understands) describing an action's arguments. */
export type JsonSchema = Record<string, unknown>;

export interface ActionSpec {
  /** Stable name, `noun.verb` style: `host.isolate`, `process.kill`, `file.quarantine`. */
  readonly name: string;
  readonly title: string;
  /** What it does and how the agent verifies that it took effect, in one or two sentences for operators. */
  readonly description: string;
  readonly permission: ResponsePermission;
  /**
   * How the agent checks that the action took effect before it reports `verified` (or, when the host cannot check
   * itself, what proves it later). Required: an action that cannot say how it is verified is not registered.
   */
  readonly verification: string;
  /** Arguments; `additionalProperties: false` always. Validated on the server before signing and again on the agent. */
  readonly args: JsonSchema;
  /** The action that undoes this one (`host.isolate` → `host.release`); absent when it cannot be undone. */
  readonly reversedBy?: string;
  /** Destructive actions need a two-step confirmation (and, when a policy says so, a second person's approval). */
  readonly destructive: boolean;
  /** Linux only for now; Windows handlers come with the Windows agent. */
  readonly platforms: readonly NodeJS.Platform[];
  /** Longest the agent lets the handler run before aborting it (its AbortSignal fires); 60 when absent. */
  readonly timeoutSeconds?: number;
}

/** What an agent reports for a finished task. `verified` means the agent checked the effect, not just ran a command. */
export interface ActionOutcome {
  ok: boolean;
  /** One line for people: "killed 3 processes (tree of pid 4711)". */
  summary: string;
  verified: boolean;
  /** Structured result: killed pids, vault entry id, query rows, collected file hash ... */
  details?: Record<string, unknown>;
}

/** Progress a running action may report (long collections, tree kills). */
export interface ActionProgress {
  message: string;
  /** 0..1 when known. */
  fraction?: number;
}
