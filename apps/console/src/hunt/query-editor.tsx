// The hunt query editor: a textarea with schema autocomplete (fields, categories, pipes, functions, operators) and the
// compile error marked in place (a backdrop under the transparent text shows the marked token). Ctrl+Enter runs.

import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { applySuggestion, completionContext, suggest, type HuntField, type Suggestion } from '../lib/hunt-complete.js';
import { errorSpan } from '../lib/hunt-error.js';

export interface QueryError {
  message: string;
  line: number;
  column: number;
}

export function QueryEditor({ value, onChange, onRun, fields, error }: { value: string; onChange: (value: string) => void; onRun: () => void; fields: readonly HuntField[]; error: QueryError | null }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const backdrop = useRef<HTMLDivElement>(null);
  const listId = useId();
  const errorId = useId();
  const [cursor, setCursor] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const categories = useMemo(() => [...new Set(fields.flatMap((f) => f.categories))].sort(), [fields]);
  const context = useMemo(() => completionContext(value, cursor, categories), [value, cursor, categories]);
  const suggestions = useMemo(() => (open ? suggest(context, fields, categories, 12) : []), [open, context, fields, categories]);
  const span = error ? errorSpan(value, error.line, error.column) : null;

  useEffect(() => setActive(0), [context.from, context.prefix, context.kind]);

  // Where the cursor goes after the parent applied an accepted suggestion: set before the browser handles the next key.
  const pendingCursor = useRef<number | null>(null);
  useLayoutEffect(() => {
    const element = area.current;
    const at = pendingCursor.current;
    if (!element || at === null) return;
    pendingCursor.current = null;
    element.focus();
    element.setSelectionRange(at, at);
    setCursor(at);
  }, [value]);

  const accept = (suggestion: Suggestion) => {
    const next = applySuggestion(value, context, suggestion);
    pendingCursor.current = next.cursor;
    onChange(next.text);
    setOpen(true);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      setOpen(false);
      onRun();
      return;
    }
    if (event.key === ' ' && event.ctrlKey) {
      event.preventDefault();
      setOpen(true);
      return;
    }
    if (!suggestions.length) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((i) => (i + (event.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length);
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      accept(suggestions[active] ?? suggestions[0]!);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
    }
  };

  const sync = () => {
    const element = area.current;
    if (!element) return;
    setCursor(element.selectionStart ?? 0);
    if (backdrop.current) {
      backdrop.current.scrollTop = element.scrollTop;
      backdrop.current.scrollLeft = element.scrollLeft;
    }
  };

  return (
    <div className="query-editor" data-keep-escape>
      <div className="editor-stack">
        <div className="editor-backdrop" ref={backdrop} aria-hidden="true">
          {span ? (
            <>
              {value.slice(0, span.start)}
              <mark className="error-mark" data-testid="hunt-error-mark" data-offset={span.start}>
                {span.end > span.start ? value.slice(span.start, span.end) : ' '}
              </mark>
              {value.slice(span.end)}
            </>
          ) : (
            value
          )}
          {'\n'}
        </div>
        <textarea
          ref={area}
          className="editor-input"
          value={value}
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          rows={4}
          aria-label="Hunt query"
          aria-autocomplete="list"
          aria-controls={listId}
          aria-expanded={suggestions.length > 0}
          aria-activedescendant={suggestions.length ? `${listId}-${active}` : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          aria-keyshortcuts="/"
          data-search
          placeholder='process where process.name == "bash" | stats count() by host.id'
          onChange={(e) => {
            onChange(e.target.value);
            setCursor(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End' ? sync() : undefined)}
          onClick={sync}
          onScroll={sync}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onFocus={sync}
        />
        {suggestions.length ? (
          <ul className="suggestions" role="listbox" id={listId} aria-label="Suggestions" data-testid="suggestions">
            {suggestions.map((s, i) => (
              <li
                key={`${s.kind}-${s.label}`}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(s);
                }}
              >
                <span className={`sugg-kind sugg-${s.kind}`}>{s.kind}</span>
                <span className="sugg-label">{s.label}</span>
                <span className="sugg-detail">{s.detail}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {error ? (
        <p className="query-error" role="alert" id={errorId} data-testid="hunt-error" data-line={error.line} data-column={error.column}>
          <strong>
            Line {error.line}, column {error.column}:
          </strong>{' '}
          {error.message}
        </p>
      ) : null}
    </div>
  );
}
