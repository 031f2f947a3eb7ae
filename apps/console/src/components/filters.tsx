// Filter bar controls shared by the list pages: the page's search box (focused by "/") and labelled select filters.
// The controls are controlled and hold no state; only useSearchText writes the URL (its `q` parameter).

import { useState, type ReactNode } from 'react';
import { setSearchParam, useLocation } from '../router.js';

/** The page's search text, kept in the URL's `q` parameter so a link or a reload reopens the same search. */
export function useSearchText(): [string, (value: string) => void] {
  const location = useLocation();
  const [text, setText] = useState(location.search.get('q') ?? '');
  const update = (value: string) => {
    setText(value);
    setSearchParam('q', value);
  };
  return [text, update];
}

/** The page's search box: `data-search` makes the "/" shortcut focus it; the label is for screen readers. */
export function SearchField({ label, placeholder, value, onChange }: { label: string; placeholder: string; value: string; onChange: (value: string) => void }) {
  return (
    <label className="inline-field grow">
      <span className="sr-only">{label}</span>
      <input type="search" data-search aria-keyshortcuts="/" placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** A plain string stands for an option whose value is its label. */
export type FilterOption = string | { value: string; label: string };

/** A labelled select; `anyLabel` (default "any") adds a first option with the empty value, `null` leaves it out. */
export function FilterSelect({ label, value, onChange, options, anyLabel = 'any', testId, disabled, children }: { label: ReactNode; value: string; onChange: (value: string) => void; options: readonly FilterOption[]; anyLabel?: string | null; testId?: string; disabled?: boolean; children?: ReactNode }) {
  return (
    <label className="inline-field">
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} disabled={disabled}>
        {anyLabel !== null ? <option value="">{anyLabel}</option> : null}
        {options.map((option) =>
          typeof option === 'string' ? (
            <option key={option}>{option}</option>
          ) : (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ),
        )}
      </select>
      {children}
    </label>
  );
}

/** Options for a host filter: value is the host id, label its name. */
export function hostOptions(hosts: readonly { id: string; hostname: string }[] | undefined): FilterOption[] {
  return (hosts ?? []).map((h) => ({ value: h.id, label: h.hostname }));
}

/** Options for enum values shown with underscores as spaces (statuses, task states). */
export function spacedOptions(values: readonly string[]): FilterOption[] {
  return values.map((v) => ({ value: v, label: v.replace('_', ' ') }));
}
