/** Mining runs: the list, one run's phase and progress live, its timings, model choice and warnings; start a run. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, idSegment, query } from '../api.js';
import { dateTime, durationMs, number } from '../format.js';
import { t } from '../i18n.js';
import { href, navigate } from '../router.js';
import type { MiningRun } from '../types.js';
import { Chip, Empty, ErrorBox, Loading, Stat, useLoad } from '../ui.js';

const POLL_MS = 1500;
const finished = (phase: string) => phase === 'completed' || phase === 'failed';

export function RunsPage({ runId, scopes }: { runId?: string; scopes: string[] }) {
  const [startError, setStartError] = useState<unknown>();
  const [starting, setStarting] = useState(false);
  const runs = useLoad(() => api<{ items: MiningRun[]; nextCursor: string | null }>('GET', `/mining-runs${query({ limit: 20 })}`), [runId]);
  const canRun = scopes.includes('mining:run') || scopes.includes('admin');

  const start = async () => {
    setStarting(true);
    setStartError(undefined);
    try {
      const run = await api<MiningRun>('POST', '/mining-runs', {});
      navigate(['runs', run.runId]);
    } catch (e) {
      setStartError(e);
    } finally {
      setStarting(false);
    }
  };

  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">{t('nav.runs')}</h2>
      {canRun ? (
        <button type="button" onClick={start} disabled={starting}>
          {t('runs.start')}
        </button>
      ) : (
        <p class="hint">{t('runs.noScope')}</p>
      )}
      <ErrorBox error={startError} />
      {runId && <RunDetail runId={runId} onFinished={runs.reload} />}
      <ErrorBox error={runs.error} />
      <Loading when={runs.loading && !runs.data} />
      {runs.data && runs.data.items.length === 0 && <Empty>{t('runs.none')}</Empty>}
      {runs.data && runs.data.items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('runs.run')}</th>
                <th scope="col">{t('runs.phase')}</th>
                <th scope="col">{t('runs.trigger')}</th>
                <th scope="col">{t('runs.started')}</th>
                <th scope="col">{t('runs.completed')}</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.items.map((r) => (
                <tr key={r.runId} aria-current={r.runId === runId ? 'true' : undefined}>
                  <td>
                    <a href={href(['runs', r.runId])}>
                      <bdi dir="ltr">{r.runId}</bdi>
                    </a>
                  </td>
                  <td>
                    <PhaseChip phase={r.phase} />
                  </td>
                  <td>{r.trigger}</td>
                  <td>{dateTime(r.createdAt)}</td>
                  <td>{dateTime(r.completedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const PhaseChip = ({ phase }: { phase: string }) => (
  <Chip tone={phase === 'completed' ? 'ok' : phase === 'failed' ? 'block' : 'warn'}>{t(`phase.${phase}`)}</Chip>
);

function RunDetail({ runId, onFinished }: { runId: string; onFinished: () => void }) {
  const [run, setRun] = useState<MiningRun | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setRun(undefined);
    const poll = async () => {
      try {
        const next = await api<MiningRun>('GET', `/mining-runs/${idSegment(runId)}`);
        if (stopped) return;
        setRun(next);
        setError(undefined);
        if (finished(next.phase)) onFinished();
        else timer = setTimeout(poll, POLL_MS);
      } catch (e) {
        if (stopped) return;
        setError(e);
        // A client error (no such run, a malformed id) stays an error; a blip (network, 5xx, 408, 429) is tried again.
        const clientError = e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
        if (!clientError) timer = setTimeout(poll, POLL_MS * 4);
      }
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId, onFinished]);

  if (error) return <ErrorBox error={error} />;
  if (!run) return <Loading when />;
  const summary = (run.summary ?? {}) as {
    customers?: number;
    touchpoints?: number;
    k?: number;
    flags?: Record<string, number>;
    models?: { chosen?: string };
    modelChoice?: { chosen?: string; reason?: string };
    warnings?: string[];
    notes?: string[];
  };
  const total = Math.max(1, run.shards.total);
  const progress = run.phase === 'completed' ? 1 : (run.shards.extracted + run.shards.scored) / (2 * total);
  return (
    <div class="panel" aria-live="polite">
      <h3>
        {t('runs.run')} <bdi dir="ltr">{run.runId}</bdi> <PhaseChip phase={run.phase} />
      </h3>
      <label class="progress">
        {t('runs.progress', {
          extracted: number(run.shards.extracted),
          scored: number(run.shards.scored),
          total: number(run.shards.total),
        })}
        <progress max={1} value={progress} />
      </label>
      <dl class="stats">
        <Stat label={t('runs.started')} value={dateTime(run.createdAt)} />
        <Stat label={t('runs.completed')} value={dateTime(run.completedAt) || '–'} />
        {summary.customers !== undefined && <Stat label={t('segments.customers')} value={number(summary.customers)} />}
        {summary.k !== undefined && <Stat label={t('runs.k')} value={number(summary.k)} />}
        {(summary.models?.chosen ?? summary.modelChoice?.chosen) && (
          <Stat label={t('runs.model')} value={summary.models?.chosen ?? summary.modelChoice?.chosen} />
        )}
        {run.skippedCount !== undefined && <Stat label={t('runs.skipped')} value={number(run.skippedCount)} />}
      </dl>
      {Object.keys(run.timingsMs).length > 0 && (
        <>
          <h4>{t('runs.timings')}</h4>
          <ul class="chips">
            {Object.entries(run.timingsMs).map(([phase, ms]) => (
              <li key={phase}>
                {phase}: {durationMs(ms)}
              </li>
            ))}
          </ul>
        </>
      )}
      {summary.flags && (
        <>
          <h4>{t('nav.flags')}</h4>
          <ul class="chips">
            {Object.entries(summary.flags).map(([type, count]) => (
              <li key={type}>
                <a href={href(['flags'], { type })}>
                  {t(`flag.${type}`)}: {number(count)}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      {(summary.warnings ?? []).length > 0 && (
        <>
          <h4>{t('runs.warnings')}</h4>
          <ul class="warnings">
            {summary.warnings!.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </>
      )}
      {(summary.notes ?? []).length > 0 && (
        <details>
          <summary>{t('runs.notes', { n: number(summary.notes!.length) })}</summary>
          <ul>
            {summary.notes!.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </details>
      )}
      {run.errors.length > 0 && (
        <>
          <h4>{t('runs.errors')}</h4>
          <ul class="warnings">
            {run.errors.map((e) => (
              <li key={`${e.at}-${e.message}`}>
                {e.phase}
                {e.shard !== undefined && ` #${e.shard}`}: {e.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
