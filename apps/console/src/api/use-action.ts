// React hooks for requests started by the user: row and toolbar actions that report a one-line result, and inline
// form submits. They keep the success message or error for the page to show and never throw.

import { useCallback, useState } from 'react';

export interface ActionState {
  message: string | null;
  error: unknown;
  /** Runs `what` (which returns the success message), then calls `reload`. */
  act: (what: () => Promise<string>) => Promise<void>;
  setMessage: (message: string | null) => void;
}

export function useAction(reload: () => void): ActionState {
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const act = useCallback(
    async (what: () => Promise<string>) => {
      setError(null);
      setMessage(null);
      try {
        setMessage(await what());
        reload();
      } catch (reason) {
        setError(reason);
      }
    },
    [reload],
  );
  return { message, error, act, setMessage };
}

export interface SubmitState {
  busy: boolean;
  error: unknown;
  setError: (error: unknown) => void;
  /** A form's onSubmit handler: prevents the page load, runs the request, keeps its error. */
  onSubmit: (event: { preventDefault: () => void }) => Promise<void>;
}

/** State of an inline form's submit: busy while the request runs, its error kept for an ErrorBox. Never throws. */
export function useSubmit(run: () => Promise<void>): SubmitState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const onSubmit = async (event: { preventDefault: () => void }) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, onSubmit };
}
