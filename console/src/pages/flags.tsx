/** Flag lists per type with score, reasons and value at risk; filters; CSV export of what is listed. */
import { FLAG_TYPES } from '../../../layers/core/src/vocabulary.js';
import { api, query } from '../api.js';
import { fixed, money, number } from '../format.js';
import { t } from '../i18n.js';
import { href, navigate, type Route } from '../router.js';
import { flagsCsv } from '../csv.js';
import type { FlagPage, SegmentsView } from '../types.js';
import { Empty, ErrorBox, Head, isNoRunYet, Loading, MoreButton, Select, useLoad, usePaged, wordOptions } from '../ui.js';

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function FlagsPage({ route }: { route: Route }) {
  const type = route.params.get('type') ?? '';
  const segment = route.params.get('segment') ?? '';
  const minScore = route.params.get('minScore') ?? '';
  const segments = useLoad(() => api<SegmentsView>('GET', '/segments'), []);
  const list = usePaged(JSON.stringify([type, segment, minScore]), (cursor) =>
    api<FlagPage>('GET', `/flags${query({ type, segment, minScore, limit: 50, cursor })}`),
  );
  const items = list.items;
  const set = (name: string, value: string) => navigate(['flags'], { type, segment, minScore, [name]: value });

  return (
    <section aria-labelledby="flags-page-title">
      <h2 id="flags-page-title">{t('nav.flags')}</h2>
      <form class="row filters" onSubmit={(e) => e.preventDefault()}>
        <Select label={t('flags.type')} value={type} any options={wordOptions('flag', FLAG_TYPES)} onChange={(v) => set('type', v)} />
        <Select
          label={t('browse.segment')}
          value={segment}
          any
          options={(segments.data?.segments ?? []).map((seg) => [seg.name, seg.name] as const)}
          onChange={(v) => set('segment', v)}
        />
        <Select
          label={t('flags.minScore')}
          value={minScore}
          any
          options={['0.5', '0.7', '0.9'].map((m) => [m, `≥ ${number(Number(m), 1)}`] as const)}
          onChange={(v) => set('minScore', v)}
        />
        <button type="button" disabled={items.length === 0} onClick={() => download(`patron-flags-${type || 'all'}.csv`, flagsCsv(items))}>
          {t('flags.export', { n: number(items.length) })}
        </button>
      </form>
      {isNoRunYet(list.error) ? <Empty>{t('empty.noRun')}</Empty> : <ErrorBox error={list.error} />}
      <Loading when={list.loading} />
      {!list.loading && !list.error && items.length === 0 && <Empty>{t('flags.none')}</Empty>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <Head
              columns={[t('flags.customer'), t('flags.type'), [t('flags.scoreCol'), true], [t('flags.value'), true], t('flags.reasons')]}
            />
            <tbody>
              {items.map((f) => (
                <tr key={`${f.customerId}-${f.type}`}>
                  <td>
                    <a href={href(['customer', f.customerId])}>
                      <bdi dir="ltr">{f.customerId}</bdi>
                    </a>
                    <div class="hint">{f.segment}</div>
                  </td>
                  <td>{t(`flag.${f.type}`)}</td>
                  <td class="num">{fixed(f.score, 2)}</td>
                  <td class="num">{money(f.expectedValueMinor)}</td>
                  <td>
                    <ul class="reasons">
                      {f.reasons.map((r) => (
                        <li key={r}>{r}</li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton next={list.next} onClick={list.more} />
    </section>
  );
}
