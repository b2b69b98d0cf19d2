/** Campaigns: treatment against control, and the uplift with its interval. */
import { api, idSegment } from '../api.js';
import { date, money, number, percent } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import type { Campaign, CampaignResults } from '../types.js';
import { Chip, Empty, ErrorBox, Head, Loading, Stat, useLoad } from '../ui.js';

export function CampaignsPage({ campaignId }: { campaignId?: string }) {
  const list = useLoad(() => api<{ items: Campaign[] }>('GET', '/campaigns?limit=50'), []);
  return (
    <section aria-labelledby="campaigns-title">
      <h2 id="campaigns-title">{t('nav.campaigns')}</h2>
      <ErrorBox error={list.error} />
      <Loading when={list.loading} />
      {list.data && list.data.items.length === 0 && <Empty>{t('campaigns.none')}</Empty>}
      {list.data && list.data.items.length > 0 && (
        <ul class="cards">
          {list.data.items.map((c) => (
            <li key={c.id} class="card" aria-current={c.id === campaignId ? 'true' : undefined}>
              <a href={href(['campaigns', c.id])}>{c.name}</a> <Chip>{t(`campaignStatus.${c.status}`)}</Chip>
              <div class="hint">
                {c.flagType ? `${t(`flag.${c.flagType}`)} · ` : ''}
                {t('campaigns.holdout', { p: number(c.holdoutPercent) })} · {date(c.startsAt)}
              </div>
            </li>
          ))}
        </ul>
      )}
      {campaignId && <Results campaignId={campaignId} />}
    </section>
  );
}

const rate = (r: number | null) => (r === null ? '–' : percent(r, 1));
const interval = (ci: [number, number] | null, digits = 1) => (ci ? `${percent(ci[0], digits)} … ${percent(ci[1], digits)}` : '–');

function Results({ campaignId }: { campaignId: string }) {
  const results = useLoad(() => api<CampaignResults>('GET', `/campaigns/${idSegment(campaignId)}/results`), [campaignId]);
  if (results.error) return <ErrorBox error={results.error} />;
  if (!results.data) return <Loading when />;
  const r = results.data;
  return (
    <div class="panel">
      <h3>{r.campaign.name}</h3>
      <div class="table-wrap">
        <table>
          <Head
            columns={[
              t('campaigns.group'),
              [t('segments.customers'), true],
              [t('campaigns.converted'), true],
              [t('campaigns.rate'), true],
              [t('campaigns.revenue'), true],
            ]}
          />
          <tbody>
            {(['treatment', 'control'] as const).map((g) => (
              <tr key={g}>
                <th scope="row">{t(`campaigns.${g}`)}</th>
                <td class="num">{number(r[g].customers)}</td>
                <td class="num">{number(r[g].converted)}</td>
                <td class="num">{rate(r[g].rate)}</td>
                <td class="num">{money(r[g].revenueMinor, r.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl class="stats">
        <Stat label={t('campaigns.uplift')} value={rate(r.uplift.absolute)} />
        <Stat label={t('campaigns.interval')} value={interval(r.uplift.ci95)} />
        <Stat label={t('campaigns.pValue')} value={r.uplift.pValue === null ? '–' : number(r.uplift.pValue, 3)} />
        <Stat
          label={t('campaigns.incremental')}
          value={r.incrementalRevenueMinor === null ? '–' : money(r.incrementalRevenueMinor, r.currency)}
        />
      </dl>
      <p>
        <Chip tone={r.conclusive ? 'ok' : 'warn'}>{r.conclusive ? t('campaigns.conclusive') : t('campaigns.inconclusive')}</Chip> {r.note}
      </p>
      <details>
        <summary>{t('campaigns.method')}</summary>
        <p>{r.method}</p>
        {r.measurement && <p>{r.measurement}</p>}
      </details>
    </div>
  );
}
