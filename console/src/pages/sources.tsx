/** Per webhook source: when it last delivered, recent outcomes, and a warning when it has gone silent. */
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { dateTime, hours, number, relative } from '../format.js';
import { t } from '../i18n.js';
import type { SourceHealth, SourcesView } from '../types.js';
import { Chip, ErrorBox, Head, Loading, Select, useLoad } from '../ui.js';

const STALE_KEY = 'patron.staleAfterHours';
const OUTCOMES = ['accepted', 'duplicate', 'ignored', 'parked', 'rejected'] as const;
const WINDOWS = ['last24h', 'last7d'] as const;

/**
 * Rejected since its last accepted delivery (or never accepted one): a wrong secret or a broken
 * payload, which the silent warning alone would miss, since the source is not silent.
 */
const refusingAll = (s: SourceHealth) => s.lastRejectedAt !== null && (s.lastDeliveryAt === null || s.lastRejectedAt > s.lastDeliveryAt);

const Warning = ({ text }: { text: string }) => (
  <Chip tone="block">
    <span role="img" aria-label={t('sources.staleLabel')}>
      ⚠
    </span>{' '}
    {text}
  </Chip>
);

export function SourcesPage() {
  // The user's own threshold, kept in this browser (the API's default applies until they choose).
  const [staleAfterHours, setStaleAfterHours] = useState(() => localStorage.getItem(STALE_KEY) ?? '');
  const [span, setSpan] = useState<(typeof WINDOWS)[number]>('last24h');
  const sources = useLoad(() => api<SourcesView>('GET', `/sources${query({ staleAfterHours })}`), [staleAfterHours]);
  const choose = (value: string) => {
    if (value) localStorage.setItem(STALE_KEY, value);
    else localStorage.removeItem(STALE_KEY);
    setStaleAfterHours(value);
  };
  return (
    <section aria-labelledby="sources-title">
      <h2 id="sources-title">{t('nav.sources')}</h2>
      <p class="hint">{t('sources.intro')}</p>
      <div class="row">
        <Select
          label={t('sources.staleAfter')}
          value={staleAfterHours}
          options={[['', t('sources.default')], ...['1', '6', '24', '72', '168'].map((h) => [h, hours(Number(h))] as const)]}
          onChange={choose}
        />
        <Select
          label={t('sources.window')}
          value={span}
          options={WINDOWS.map((w) => [w, t(`sources.${w}`)] as const)}
          onChange={(v) => setSpan(v as (typeof WINDOWS)[number])}
        />
      </div>
      <ErrorBox error={sources.error} />
      <Loading when={sources.loading && !sources.data} />
      {sources.data && (
        <div class="table-wrap">
          <table>
            <Head
              columns={[
                t('sources.source'),
                t('sources.last'),
                t('sources.lastRejected'),
                ...OUTCOMES.map((o) => [t(`outcome.${o}`), true] as const),
              ]}
            />
            <tbody>
              {sources.data.sources.map((s) => (
                <tr key={s.source} class={s.stale ? 'stale' : undefined}>
                  <th scope="row">
                    {s.source} {s.stale && <Warning text={t('sources.stale')} />}
                    {refusingAll(s) && <Warning text={t('sources.onlyRejected')} />}
                  </th>
                  <td>
                    {s.lastDeliveryAt ? (
                      <span title={dateTime(s.lastDeliveryAt)}>{relative(s.lastDeliveryAt)}</span>
                    ) : (
                      <span class="hint">{t('sources.never')}</span>
                    )}
                  </td>
                  <td>{s.lastRejectedAt ? <span title={dateTime(s.lastRejectedAt)}>{relative(s.lastRejectedAt)}</span> : '–'}</td>
                  {OUTCOMES.map((o) => (
                    <td class="num" key={o}>
                      {number(s[span][o] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {sources.data && (
        <p class="hint">
          {t('sources.coalesced', { s: number(sources.data.flushIntervalSeconds), h: number(sources.data.staleAfterHours) })}
        </p>
      )}
    </section>
  );
}
