// React hook that loads one API resource, optionally refreshing it on an interval while the page is visible.
// Keeps the last good data while reloading; aborts in-flight requests when the path changes or the view unmounts.

import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './client.js';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useResource<T>(path: string | null, options: { refreshMs?: number } = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const lastPath = useRef<string | null>(null);

  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    if (lastPath.current !== path) {
      lastPath.current = path;
      setData(undefined);
    }
    const controller = new AbortController();
    setLoading(true);
    api
      .get<T>(path, controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      })
      .catch((reason: unknown) => {
        if (controller.signal.aborted || (reason as Error)?.name === 'AbortError') return;
        setError(reason);
        setLoading(false);
      });
    return () => controller.abort();
  }, [path, tick]);

  useEffect(() => {
    if (!options.refreshMs || path === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, options.refreshMs);
    return () => clearInterval(timer);
  }, [options.refreshMs, path, reload]);

  return { data, error, loading, reload };
}
