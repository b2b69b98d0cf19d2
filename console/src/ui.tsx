/** Small pieces every page uses: loading data with its error, the error box, empty states. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { t } from './i18n.js';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  // The caller names what the load depends on (`deps`), as with useEffect itself.
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

/** The API's own message, and each field it names. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  const status = apiError?.status === 404 ? t('error.notFound') : apiError?.status === 403 ? t('error.forbidden') : t('error.title');
  return (
    <div class="error" role="alert">
      <strong>{status}</strong> {error instanceof Error ? error.message : String(error)}
      {apiError && apiError.issues.length > 0 && (
        <ul>
          {apiError.issues.map((issue, i) => (
            // One field may carry several issues.
            <li key={`${i}-${issue.path}`}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const isNoRunYet = (error: unknown) => error instanceof ApiError && error.status === 404;

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Loading({ when }: { when: boolean }) {
  return when ? (
    <p class="loading" aria-live="polite">
      {t('loading')}
    </p>
  ) : null;
}

export function Stat({ label, value, hint }: { label: string; value: ComponentChildren; hint?: string }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd title={hint}>{value}</dd>
    </div>
  );
}

/** A chip naming a flag type, lifecycle stage or tier, in words of the interface language. */
export const Chip = ({ children, tone }: { children: ComponentChildren; tone?: 'warn' | 'block' | 'ok' }) => (
  <span class={`chip${tone ? ` ${tone}` : ''}`}>{children}</span>
);

/** A labelled select; `any` adds a first option for "no filter". */
export function Select({
  label,
  value,
  options,
  onChange,
  any,
}: {
  label: string;
  value: string;
  options: readonly (readonly [value: string, text: string])[];
  onChange: (value: string) => void;
  any?: boolean;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {any && <option value="">{t('browse.any')}</option>}
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Options for a select from API words and the catalog prefix that names them (`tier.`, `flag.`...). */
export const wordOptions = (prefix: string, words: readonly string[]) => words.map((w) => [w, t(`${prefix}.${w}`)] as const);

/** A table's header row; numeric columns are aligned to the end (right, or left in Persian). */
export function Head({ columns }: { columns: readonly (string | readonly [label: string, numeric: true])[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) =>
          typeof c === 'string' ? (
            <th scope="col" key={c}>
              {c}
            </th>
          ) : (
            <th scope="col" class="num" key={c[0]}>
              {c[0]}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/**
 * A list read page by page with the API's cursors: a new `key` (the filters) starts again from the
 * first page; "more" fetches only the next page. A cursor the API no longer accepts (409: a newer
 * mining run completed since) starts the list again, with `restarted` set so the page can say so.
 */
export function usePaged<T>(key: string, load: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>) {
  type State = { key: string; items: T[]; next: string | null; loading: boolean; error?: unknown; restarted?: boolean };
  const [state, setState] = useState<State>({ key: '', items: [], next: null, loading: true });
  const [generation, setGeneration] = useState(0);
  // The caller names what the load depends on (`key`), as with useEffect itself.
  useEffect(() => {
    let current = true;
    setState((s) => ({ key, items: [], next: null, loading: true, restarted: s.key === key && s.restarted }));
    load().then(
      (page) => current && setState((s) => ({ ...s, key, items: page.items, next: page.nextCursor, loading: false })),
      (error) => current && setState((s) => ({ ...s, key, items: [], next: null, loading: false, error })),
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  const more = async () => {
    if (!state.next || state.loading) return;
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await load(state.next);
      setState((s) =>
        s.key === key ? { ...s, items: [...s.items, ...page.items], next: page.nextCursor, loading: false, restarted: false } : s,
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        setState((s) => ({ ...s, restarted: true }));
        setGeneration((g) => g + 1);
      } else setState((s) => ({ ...s, loading: false, error }));
    }
  };
  // Rows of the previous filters are never shown under the new ones, not even for one frame.
  const current = state.key === key;
  return { ...state, items: current ? state.items : [], next: current ? state.next : null, loading: current ? state.loading : true, more };
}

export const MoreButton = ({ next, onClick }: { next: string | null; onClick: () => void }) =>
  next ? (
    <button type="button" onClick={onClick}>
      {t('more')}
    </button>
  ) : null;
