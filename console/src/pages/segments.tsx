/** Segments and value: the CLI's bubble chart drawn from the API, the value tiers and the lifecycle funnel. */
import { segmentsSvg } from '../../../cli/svg.js';
import type { SegmentProfile } from '../../../cli/writers.js';
import { api } from '../api.js';
import { date, money, number, percent } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import type { FunnelView, SegmentRow, SegmentsView } from '../types.js';
import { Empty, ErrorBox, Head, isNoRunYet, Loading, useLoad } from '../ui.js';

/** The API's segment centroids in the shape the CLI's chart takes (money in major units there). */
export function toProfiles(segments: readonly SegmentRow[]): SegmentProfile[] {
  return segments
    .filter((s) => s.centroid)
    .map((s, id) => {
      // Prospects (no purchase yet) are a segment without a centroid.
      const c = s.centroid ?? {};
      const meanClv = c.meanClvMinor === undefined ? null : c.meanClvMinor / 100;
      return {
        id,
        name: s.name,
        size: s.size,
        share: s.share,
        meanDaysSinceLastPurchase: c.daysSinceLastPurchase ?? 0,
        meanFrequency: c.frequency ?? 0,
        meanRecency: 0,
        meanT: c.tenureDays ?? 0,
        meanPAlive: c.meanPAlive ?? 0,
        meanChurnRisk: c.meanChurnRisk ?? 0,
        meanExpectedPurchases: c.meanExpectedPurchases ?? 0,
        meanMonetary: c.averageOrderValue === undefined ? null : c.averageOrderValue / 100,
        meanClv,
        totalClv: meanClv === null ? null : meanClv * s.size,
      };
    });
}

export function SegmentsPage() {
  const data = useLoad(() => Promise.all([api<SegmentsView>('GET', '/segments'), api<FunnelView>('GET', '/funnel')]), []);
  if (isNoRunYet(data.error)) return <Empty>{t('empty.noRun')}</Empty>;
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <Loading when />;
  const [segments, funnel] = data.data;
  const profiles = toProfiles(segments.segments);
  const svg = segmentsSvg(profiles, {
    title: t('segments.chartTitle'),
    subtitle: t('segments.chartSubtitle', { n: number(profiles.reduce((s, p) => s + p.size, 0)), date: date(segments.completedAt) }),
    valueMetric: profiles.some((p) => p.meanClv !== null) ? 'clv' : 'purchases',
    labels: {
      xAxis: t('chart.xAxis'),
      yAxis: t('chart.yAxis'),
      perSegment: t('chart.perSegment'),
      legend: t('chart.legend'),
      colour: t('chart.colour'),
      metricClv: t('chart.metricClv'),
      metricPurchases: t('chart.metricPurchases'),
      area: t('chart.area'),
      readIt: t('chart.readIt'),
      barClv: t('chart.barClv'),
      barPurchases: t('chart.barPurchases'),
    },
  });
  const stages = funnel.funnel?.stages ?? {};
  return (
    <>
      <section aria-labelledby="segments-title">
        <h2 id="segments-title">{t('nav.segments')}</h2>
        <p class="hint">{t('segments.intro', { k: number(segments.k ?? profiles.length) })}</p>
        {/* The chart's markup comes from cli/svg.ts, which escapes every label it writes. */}
        {/* Drawn left to right in every language: its axes and bars are laid out in SVG coordinates. */}
        <figure class="chart" role="img" aria-label={t('segments.chartAlt')} dir="ltr">
          <div dangerouslySetInnerHTML={{ __html: svg }} />
        </figure>
        <div class="table-wrap">
          <table>
            <caption>{t('segments.tableCaption')}</caption>
            <Head
              columns={[
                t('browse.segment'),
                [t('segments.customers'), true],
                [t('segments.share'), true],
                [t('segments.meanClv'), true],
                [t('segments.daysSince'), true],
                [t('customer.pAlive'), true],
              ]}
            />
            <tbody>
              {segments.segments.map((s) => (
                <tr key={s.name}>
                  <th scope="row">
                    <a href={href(['customers'], { segment: s.name })}>{s.name}</a>
                  </th>
                  <td class="num">{number(s.size)}</td>
                  <td class="num">{percent(s.share, 1)}</td>
                  <td class="num">{s.centroid?.meanClvMinor === undefined ? '–' : money(s.centroid.meanClvMinor)}</td>
                  <td class="num">{s.centroid?.daysSinceLastPurchase === undefined ? '–' : number(s.centroid.daysSinceLastPurchase)}</td>
                  <td class="num">{s.centroid?.meanPAlive === undefined ? '–' : percent(s.centroid.meanPAlive)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="tiers-title">
        <h2 id="tiers-title">{t('segments.tiers')}</h2>
        <div class="table-wrap">
          <table>
            <Head
              columns={[
                t('browse.tier'),
                [t('segments.customers'), true],
                [t('segments.share'), true],
                [t('segments.meanClv'), true],
                [t('segments.meanSpend'), true],
                [t('segments.clvShare'), true],
              ]}
            />
            <tbody>
              {funnel.tiers.map((tier) => (
                <tr key={tier.tier}>
                  <th scope="row">
                    <a href={href(['customers'], { valueTier: tier.tier })}>{t(`tier.${tier.tier}`)}</a>
                  </th>
                  <td class="num">{number(tier.customers)}</td>
                  <td class="num">{percent(tier.share, 1)}</td>
                  <td class="num">{money(tier.meanClvMinor)}</td>
                  <td class="num">{money(tier.meanSpendMinor)}</td>
                  <td class="num">{percent(tier.clvShare, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="funnel-title">
        <h2 id="funnel-title">{t('segments.funnel')}</h2>
        {funnel.funnel ? (
          <>
            <ol class="funnel">
              {(
                [
                  ['known', funnel.funnel.reached.known, null],
                  ['bought', funnel.funnel.reached.bought, funnel.funnel.conversion.prospectToFirst],
                  ['repeated', funnel.funnel.reached.repeated, funnel.funnel.conversion.firstToRepeat],
                  ['loyal', funnel.funnel.reached.loyal, funnel.funnel.conversion.repeatToLoyal],
                ] as const
              ).map(([step, count, conversion]) => (
                <li key={step}>
                  <meter min={0} max={funnel.funnel!.reached.known || 1} value={count} aria-label={t(`funnel.${step}`)} />
                  <span>
                    <strong>{t(`funnel.${step}`)}</strong> {number(count)}
                    {conversion !== null && <span class="hint"> · {t('funnel.conversion', { rate: percent(conversion, 1) })}</span>}
                  </span>
                </li>
              ))}
            </ol>
            <h3>{t('segments.stagesNow')}</h3>
            <ul class="chips">
              {Object.entries(stages).map(([stage, count]) => (
                <li key={stage}>
                  <a href={href(['customers'], { lifecycle: stage })}>
                    {t(`stage.${stage}`)}: {number(count)}
                  </a>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <Empty>{t('empty.noRun')}</Empty>
        )}
      </section>
    </>
  );
}
