// A modal form: Cancel plus one primary submit button; the submit runs the request and shows its error in the dialog.
// Owns only the submit error (unless the caller passes its own); it never validates fields (callers disable submit).

import { useState, type ReactNode } from 'react';
import { ErrorBox, Modal } from './ui.js';

export interface FormModalProps {
  title: string;
  onClose: () => void;
  submitLabel: ReactNode;
  /** Runs the request; the dialog closes after it resolves unless `keepOpen` is set. */
  onSubmit: () => Promise<void>;
  submitDisabled?: boolean;
  keepOpen?: boolean;
  /** When set, the form is finished: the footer is a single button with this label that closes the dialog. */
  doneLabel?: string | undefined;
  /** Buttons placed between Cancel and the submit button. */
  extraButtons?: ReactNode;
  /** A caller-owned error state, for dialogs whose other buttons report errors in the same place. */
  errorState?: [unknown, (error: unknown) => void];
  children: ReactNode;
}

export function FormModal({ title, onClose, submitLabel, onSubmit, submitDisabled, keepOpen, doneLabel, extraButtons, errorState, children }: FormModalProps) {
  const ownState = useState<unknown>(null);
  const [error, setError] = errorState ?? ownState;
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        doneLabel ? (
          <button type="button" onClick={onClose}>
            {doneLabel}
          </button>
        ) : (
          <>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            {extraButtons}
            <button
              type="button"
              className="primary"
              disabled={submitDisabled}
              onClick={async () => {
                setError(null);
                try {
                  await onSubmit();
                  if (!keepOpen) onClose();
                } catch (reason) {
                  setError(reason);
                }
              }}
            >
              {submitLabel}
            </button>
          </>
        )
      }
    >
      {children}
      <ErrorBox error={error} />
    </Modal>
  );
}
