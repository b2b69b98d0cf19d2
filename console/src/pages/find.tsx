/** Find a customer (by email, phone or id, through the hashed lookup) and browse the base. */
import { useState } from 'preact/hooks';
import { FLAG_TYPES, LIFECYCLE_STAGES, VALUE_TIERS } from '../../../layers/core/src/vocabulary.js';
import { api, idSegment, query } from '../api.js';
import { money, number, percent } from '../format.js';
import { t } from '../i18n.js';
import { href, navigate, type Route } from '../router.js';
import type { BrowsePage, Customer360, SegmentsView } from '../types.js';
import { Chip, Empty, ErrorBox, Head, isNoRunYet, Loading, MoreButton, Select, useLoad, usePaged, wordOptions } from '../ui.js';

type FindBy = 'email' | 'phone' | 'id';

function FindForm() {
  const [by, setBy] = useState<FindBy>('email');
  const [value, setValue] = useState('');
  const [matches, setMatches] = useState<Customer360[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setMatches(undefined);
    setBusy(true);
    try {
      if (by === 'id') {
        const customer = await api<Customer360>('GET', `/customers/${idSegment(value.trim())}`);
        navigate(['customer', customer.id]);
        return;
      }
      // A POST body, not a query string: the email or phone never lands in a URL or an access log.
      const found = await api<{ customers: Customer360[] }>('POST', '/customers/lookup', { [by]: value.trim() });
      if (found.customers.length === 1) navigate(['customer', found.customers[0]!.id]);
      else setMatches(found.customers);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="find-title">
      <h2 id="find-title">{t('find.title')}</h2>
      <form class="row" onSubmit={submit}>
        <label>
          {t('find.by')}
          <select value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value as FindBy)}>
            <option value="email">{t('find.email')}</option>
            <option value="phone">{t('find.phone')}</option>
            <option value="id">{t('find.id')}</option>
          </select>
        </label>
        <label class="grow">
          {t(`find.${by}`)}
          <input
            name="find"
            required
            maxLength={254}
            type={by === 'email' ? 'email' : by === 'phone' ? 'tel' : 'text'}
            dir="ltr"
            autoComplete="off"
            value={value}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          {t('find.submit')}
        </button>
      </form>
      <ErrorBox error={error} />
      {matches && matches.length === 0 && <Empty>{t('find.none')}</Empty>}
      {matches && matches.length > 1 && (
        <ul>
          {matches.map((c) => (
            <li key={c.id}>
              <a href={href(['customer', c.id])}>{displayName(c.name) || c.id}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export const displayName = (name: { first?: string; last?: string }) => [name.first, name.last].filter(Boolean).join(' ');

const FILTERS = ['segment', 'valueTier', 'lifecycle', 'flagType'] as const;
const PAGE = 25;
/** Index pages a selective filter may skip before the list says so (each call reads at most 10). */
const MAX_FOLLOWS = 5;

/**
 * A page of at least one customer, or the end: a selective filter can answer short (even empty)
 * pages that still carry a cursor, so those are followed a few times before giving up.
 */
async function browsePage(filters: Record<string, string>, cursor?: string): Promise<BrowsePage> {
  let page = await api<BrowsePage>('GET', `/customer-scores${query({ ...filters, limit: PAGE, cursor })}`);
  const items = [...page.items];
  for (let follows = 0; items.length < PAGE && page.nextCursor && follows < MAX_FOLLOWS; follows++) {
    page = await api<BrowsePage>('GET', `/customer-scores${query({ ...filters, limit: PAGE, cursor: page.nextCursor })}`);
    items.push(...page.items);
  }
  return { ...page, items };
}

function Browse({ route }: { route: Route }) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, route.params.get(f) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const order = route.params.get('order') === 'asc' ? 'asc' : 'desc';
  const segments = useLoad(() => api<SegmentsView>('GET', '/segments'), []);
  const list = usePaged(JSON.stringify([filters, order]), (cursor) => browsePage({ ...filters, order }, cursor));
  const set = (name: string, value: string) => navigate(['customers'], { ...filters, order, [name]: value });
  const items = list.items;

  return (
    <section aria-labelledby="browse-title">
      <h2 id="browse-title">{t('browse.title')}</h2>
      <form class="row filters" onSubmit={(e) => e.preventDefault()}>
        <Select
          label={t('browse.segment')}
          value={filters.segment}
          any
          options={(segments.data?.segments ?? []).map((seg) => [seg.name, seg.name] as const)}
          onChange={(v) => set('segment', v)}
        />
        <Select
          label={t('browse.tier')}
          value={filters.valueTier}
          any
          options={wordOptions('tier', VALUE_TIERS)}
          onChange={(v) => set('valueTier', v)}
        />
        <Select
          label={t('browse.stage')}
          value={filters.lifecycle}
          any
          options={wordOptions('stage', LIFECYCLE_STAGES)}
          onChange={(v) => set('lifecycle', v)}
        />
        <Select
          label={t('browse.flag')}
          value={filters.flagType}
          any
          options={wordOptions('flag', FLAG_TYPES)}
          onChange={(v) => set('flagType', v)}
        />
        <Select
          label={t('browse.order')}
          value={order}
          options={[
            ['desc', t('browse.valueDesc')],
            ['asc', t('browse.valueAsc')],
          ]}
          onChange={(v) => set('order', v)}
        />
      </form>
      {isNoRunYet(list.error) ? <Empty>{t('empty.noRun')}</Empty> : <ErrorBox error={list.error} />}
      <Loading when={list.loading} />
      {list.restarted && (
        <p class="hint" role="status">
          {t('browse.restarted')}
        </p>
      )}
      {!list.loading && !list.error && items.length === 0 && <Empty>{list.next ? t('browse.noneYet') : t('browse.none')}</Empty>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <Head
              columns={[
                t('customer.name'),
                t('browse.segment'),
                t('browse.tier'),
                t('browse.stage'),
                [t('customer.clv'), true],
                [t('customer.pAlive'), true],
                t('browse.flags'),
              ]}
            />
            <tbody>
              {items.map((c) => (
                <tr key={c.customerId}>
                  <td>
                    <a href={href(['customer', c.customerId])}>
                      {displayName({ first: c.firstName ?? undefined, last: c.lastName ?? undefined }) || c.customerId}
                    </a>
                  </td>
                  <td>{c.segment}</td>
                  <td>{c.valueTier ? t(`tier.${c.valueTier}`) : ''}</td>
                  <td>{c.lifecycle ? t(`stage.${c.lifecycle}`) : ''}</td>
                  <td class="num">{money(c.clvMinor)}</td>
                  <td class="num">{percent(c.pAlive)}</td>
                  <td>
                    {c.flagTypes.map((f) => (
                      <Chip key={f}>{t(`flag.${f}`)}</Chip>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton next={list.next} onClick={list.more} />
      {items.length > 0 && <p class="hint">{t('browse.count', { n: number(items.length) })}</p>}
    </section>
  );
}

export function FindPage({ route }: { route: Route }) {
  return (
    <>
      <FindForm />
      <Browse route={route} />
    </>
  );
}
