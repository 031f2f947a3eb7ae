// The console's only way to the server: same-origin fetch with the session cookie, JSON in and out, and one error
// type. A 401 on any call (the session ended or expired) is reported once to the session layer, never swallowed.

export interface ApiErrorBody {
  code: string;
  message: string;
  location?: { path?: string; line?: number; column?: number; file?: string };
  details?: { message: string; location?: { line?: number; column?: number } }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
  get code(): string {
    return this.body.code;
  }
}

let unauthenticated: (() => void) | null = null;

/** Called when a request is refused with 401 (the login call itself excepted). */
export function onUnauthenticated(handler: (() => void) | null): void {
  unauthenticated = handler;
}

function errorBody(status: number, payload: unknown): ApiErrorBody {
  const error = (payload as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object' && typeof (error as ApiErrorBody).message === 'string') return error as ApiErrorBody;
  return { code: status === 0 ? 'network' : 'http', message: status === 0 ? 'the server is not reachable' : `the server answered HTTP ${status}` };
}

export async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, errorBody(0, null));
  }
  const text = await response.text();
  let payload: unknown = null;
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/v1/auth/login') unauthenticated?.();
    throw new ApiError(response.status, errorBody(response.status, payload));
  }
  return payload as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => call<T>('GET', path, undefined, signal),
  post: <T>(path: string, body: unknown = {}, signal?: AbortSignal) => call<T>('POST', path, body, signal),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

/** Builds a query string from defined values only. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
