// Global keyboard shortcuts: "/" focuses the page's search field, "g" then a key opens a section, "?" shows help.
// Never fires while the user types in a field (except Escape, which leaves it).

import { useEffect, useRef } from 'react';

export interface ShortcutHandlers {
  go: (key: string) => boolean;
  help: () => void;
}

function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  const tag = element.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || element.isContentEditable;
}

export function useShortcuts(handlers: ShortcutHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    let pendingG = 0;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target)) {
        if (event.key === 'Escape' && !(event.target as HTMLElement).closest('dialog') && !(event.target as HTMLElement).closest('[data-keep-escape]')) (event.target as HTMLElement).blur();
        return;
      }
      if (pendingG && Date.now() - pendingG < 1500) {
        pendingG = 0;
        if (ref.current.go(event.key.toLowerCase())) event.preventDefault();
        return;
      }
      pendingG = 0;
      if (event.key === 'g') {
        pendingG = Date.now();
        event.preventDefault();
      } else if (event.key === '/') {
        const search = document.querySelector<HTMLElement>('[data-search]');
        if (search) {
          event.preventDefault();
          search.focus();
        }
      } else if (event.key === '?') {
        event.preventDefault();
        ref.current.help();
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
}
