/**
 * The customer card: who they are, what the latest run made of them and why they are flagged, a
 * timeline of what happened, and "Check before you offer", which runs the same check as every
 * other channel (POST /offers/check) and registers the offer only through POST /offers.
 */
import { useState } from 'preact/hooks';
import { CONSENT_CHANNELS, OFFER_CHANNELS, OFFER_KINDS } from '../../../layers/core/src/vocabulary.js';
import { api, ApiError, idSegment, query } from '../api.js';
import { date, dateTime, fixed, money, percent } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import type { Customer360, Evaluation, Finding, Flag, Offer, OfferAudit, TouchpointPage } from '../types.js';
import { Chip, Empty, ErrorBox, Loading, MoreButton, Stat, useLoad, usePaged } from '../ui.js';
import { displayName } from './find.js';

interface CardData {
  customer: Customer360;
  flags: Flag[];
  offers: Offer[];
}

export function CustomerPage({ id, scopes }: { id: string; scopes: string[] }) {
  const [version, setVersion] = useState(0);
  const card = useLoad(async (): Promise<CardData> => {
    const customer = await api<Customer360>('GET', `/customers/${idSegment(id)}`);
    const [flags, offers] = await Promise.all([
      api<{ items: Flag[] }>('GET', `/customers/${idSegment(customer.id)}/flags`),
      api<{ items: Offer[] }>('GET', `/customers/${idSegment(customer.id)}/offers`),
    ]);
    return { customer, flags: flags.items, offers: offers.items };
  }, [id, version]);

  if (card.error) return <ErrorBox error={card.error} />;
  if (!card.data) return <Loading when />;
  const { customer: c, flags, offers } = card.data;
  const currency = c.revenue[0]?.currency;
  const m = c.mining;
  return (
    <article aria-labelledby="customer-title">
      <p>
        <a href={href(['customers'])}>{t('customer.back')}</a>
      </p>
      <h2 id="customer-title">{displayName(c.name) || t('customer.unnamed')}</h2>
      <p class="hint">
        <bdi dir="ltr">{c.id}</bdi>
        {c.id !== id && <> · {t('customer.mergedInto', { id })}</>}
      </p>

      <section aria-labelledby="value-title">
        <h3 id="value-title">{t('customer.value')}</h3>
        {m ? (
          <dl class="stats">
            <Stat label={t('browse.segment')} value={m.segment} />
            <Stat label={t('browse.tier')} value={m.valueTier ? t(`tier.${m.valueTier}`) : '–'} />
            <Stat label={t('browse.stage')} value={m.lifecycle ? t(`stage.${m.lifecycle}`) : '–'} />
            <Stat label={t('customer.clv')} value={money(m.clvMinor, currency)} hint={t('customer.clvHint')} />
            <Stat
              label={t('customer.pAlive')}
              value={percent(m.pAlive)}
              hint={m.model ? t('customer.model', { model: m.model }) : undefined}
            />
            <Stat label={t('customer.churn')} value={m.churnProbability === undefined ? '–' : percent(m.churnProbability)} />
            <Stat label={t('customer.nextPurchase')} value={m.nextPurchaseDate ? date(m.nextPurchaseDate) : '–'} />
            <Stat label={t('customer.revenue')} value={c.revenue.map((r) => money(r.amountMinor, r.currency)).join(' · ') || '–'} />
          </dl>
        ) : (
          <Empty>{t('customer.notMined')}</Empty>
        )}
      </section>

      <section aria-labelledby="flags-title">
        <h3 id="flags-title">{t('customer.whyFlagged')}</h3>
        {flags.length === 0 ? (
          <Empty>{t('customer.noFlags')}</Empty>
        ) : (
          <ul class="cards">
            {flags.map((f) => (
              <li key={f.type} class="card">
                <strong>{t(`flag.${f.type}`)}</strong> <Chip>{t('flags.score', { score: fixed(f.score, 2) })}</Chip>{' '}
                <Chip>{t('flags.valueAtRisk', { value: money(f.expectedValueMinor, currency) })}</Chip>
                <ul>
                  {f.reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
                {f.suggestions && f.suggestions.length > 0 && <p class="hint">{f.suggestions.join(' · ')}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <OfferCheck customer={c} scopes={scopes} onRegistered={() => setVersion((v) => v + 1)} />

      <section aria-labelledby="identity-title">
        <h3 id="identity-title">{t('customer.identity')}</h3>
        <dl class="stats">
          <Stat label={t('find.email')} value={<bdi dir="ltr">{c.identifiers.emails.join(', ') || '–'}</bdi>} />
          <Stat label={t('find.phone')} value={<bdi dir="ltr">{c.identifiers.phones.join(', ') || '–'}</bdi>} />
          <Stat label={t('customer.sources')} value={c.sourceSystems.join(', ') || '–'} />
          <Stat label={t('customer.externalIds')} value={<bdi dir="ltr">{c.identifiers.externalIds.join(', ') || '–'}</bdi>} />
          <Stat label={t('customer.merged')} value={<bdi dir="ltr">{c.mergedFrom.join(', ') || '–'}</bdi>} />
          <Stat label={t('customer.firstSeen')} value={dateTime(c.firstSeen) || '–'} />
        </dl>
        <h4>{t('customer.consent')}</h4>
        <table class="compact">
          <tbody>
            {CONSENT_CHANNELS.map((channel) => {
              const state = c.consent[channel];
              return (
                <tr key={channel}>
                  <th scope="row">{t(`channel.${channel}`)}</th>
                  <td>
                    {state === null ? (
                      <Chip>{t('consent.unknown')}</Chip>
                    ) : state.granted ? (
                      <Chip tone="ok">{t('consent.granted')}</Chip>
                    ) : (
                      <Chip tone="block">{t('consent.refused')}</Chip>
                    )}
                  </td>
                  <td class="hint">{state ? `${dateTime(state.at)} · ${state.source}` : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <Timeline customerId={c.id} flags={flags} offers={offers} currency={currency} />
    </article>
  );
}

type Entry =
  | { kind: 'touchpoint'; at: string; key: string; title: string; detail: string }
  | { kind: 'offer'; at: string; key: string; offer: Offer }
  | { kind: 'flag'; at: string; key: string; flag: Flag };

function Timeline({ customerId, flags, offers, currency }: { customerId: string; flags: Flag[]; offers: Offer[]; currency?: string }) {
  const pages = usePaged(customerId, (cursor) =>
    api<TouchpointPage>('GET', `/customers/${idSegment(customerId)}/touchpoints${query({ limit: 50, cursor })}`),
  );
  const touchpoints = pages.items;
  const next = pages.next;
  const oldestLoaded = touchpoints.at(-1)?.occurredAt;
  const entries: Entry[] = [
    ...touchpoints.map((tp) => ({
      kind: 'touchpoint' as const,
      at: tp.occurredAt,
      key: tp.id,
      title: t(`tp.${tp.type}`),
      detail: describeTouchpoint(tp.data, currency),
    })),
    // Offers and flags older than the loaded touchpoints wait for "more", so the order stays true.
    ...offers
      .filter((o) => !next || !oldestLoaded || (o.createdAt ?? '') >= oldestLoaded)
      .map((o) => ({ kind: 'offer' as const, at: o.createdAt ?? '', key: o.id, offer: o })),
    ...flags.map((f) => ({
      kind: 'flag' as const,
      at: (f as Flag & { createdAt?: string }).createdAt ?? '',
      key: `flag-${f.type}`,
      flag: f,
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));

  return (
    <section aria-labelledby="timeline-title">
      <h3 id="timeline-title">{t('customer.timeline')}</h3>
      <ErrorBox error={pages.error} />
      {entries.length === 0 && !pages.loading && <Empty>{t('customer.noHistory')}</Empty>}
      <ol class="timeline">
        {entries.map((e) => (
          <li key={`${e.kind}-${e.key}`} class={`tl-${e.kind}`}>
            <time dateTime={e.at}>{dateTime(e.at)}</time>
            {e.kind === 'touchpoint' && (
              <div>
                <strong>{e.title}</strong> {e.detail && <span class="hint">{e.detail}</span>}
              </div>
            )}
            {e.kind === 'offer' && <OfferEntry offer={e.offer} />}
            {e.kind === 'flag' && (
              <div>
                <strong>{t('timeline.flagged', { flag: t(`flag.${e.flag.type}`) })}</strong>{' '}
                <span class="hint">{t('flags.score', { score: fixed(e.flag.score, 2) })}</span>
              </div>
            )}
          </li>
        ))}
      </ol>
      <Loading when={pages.loading} />
      <MoreButton next={next} onClick={pages.more} />
    </section>
  );
}

function describeTouchpoint(data: Record<string, unknown>, fallbackCurrency?: string): string {
  const parts: string[] = [];
  const currency = typeof data.currency === 'string' ? data.currency : fallbackCurrency;
  if (typeof data.totalMinor === 'number') parts.push(money(data.totalMinor, currency));
  if (typeof data.amountMinor === 'number') parts.push(money(data.amountMinor, currency));
  const items = Array.isArray(data.items) ? (data.items as { name?: string; sku?: string; productId?: string }[]) : [];
  if (items.length > 0) parts.push(items.map((i) => i.name ?? i.sku ?? i.productId ?? '').join(', '));
  for (const key of ['subject', 'productId', 'channel', 'rating', 'reason']) {
    const value = data[key];
    if ((typeof value === 'string' || typeof value === 'number') && !parts.includes(String(value))) parts.push(String(value));
  }
  return parts.join(' · ');
}

function OfferEntry({ offer }: { offer: Offer }) {
  const [open, setOpen] = useState(false);
  const audit = useLoad(
    () => (open ? api<{ audit: OfferAudit[] }>('GET', `/offers/${idSegment(offer.id)}`) : Promise.resolve(undefined)),
    [open, offer.id],
  );
  return (
    <div>
      <strong>{t('timeline.offer', { kind: t(`kind.${offer.kind}`), channel: t(`channel.${offer.channel}`) })}</strong>{' '}
      <Chip>{t(`status.${offer.status}`)}</Chip> {offer.productId && <bdi dir="ltr">{offer.productId}</bdi>}{' '}
      <span class="hint">{offer.campaignLabel ?? offer.team ?? ''}</span>{' '}
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? t('timeline.hideAudit') : t('timeline.showAudit')}
      </button>
      {open && <ErrorBox error={audit.error} />}
      {open && audit.data && (
        <ul class="audit">
          {audit.data.audit.map((a) => (
            <li key={`${a.at}-${a.action}`}>
              {dateTime(a.at)} · {t(`audit.${a.action}`)} · {a.actor}
              {a.decision && <> · {t(`decision.${a.decision}`)}</>}
              {a.reason && <> · “{a.reason}”</>}
              {a.from && a.to && (
                <>
                  {' '}
                  · {t(`status.${a.from}`)} → {t(`status.${a.to}`)}
                </>
              )}
              {(a.findings ?? []).map((f) => (
                <div key={f.rule} class="hint">
                  {f.rule}: {f.message}
                </div>
              ))}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

interface Draft {
  kind: string;
  channel: string;
  productId: string;
  productFamily: string;
  discountPercent: string;
  amount: string;
  currency: string;
  validUntil: string;
  team: string;
}

const EMPTY_DRAFT: Draft = {
  kind: 'offer',
  channel: 'email',
  productId: '',
  productFamily: '',
  discountPercent: '',
  amount: '',
  currency: '',
  validUntil: '',
  team: '',
};

function requestOf(customerId: string, d: Draft) {
  const terms: Record<string, number | string> = {};
  if (d.discountPercent !== '') terms.discountPercent = Number(d.discountPercent);
  if (d.amount !== '') terms.amount = Number(d.amount);
  if (d.currency !== '') terms.currency = d.currency.toUpperCase();
  return {
    customerId,
    kind: d.kind,
    channel: d.channel,
    ...(d.productId ? { productId: d.productId.trim() } : {}),
    ...(d.productFamily ? { productFamily: d.productFamily.trim() } : {}),
    ...(Object.keys(terms).length > 0 ? { terms } : {}),
    ...(d.validUntil ? { validUntil: d.validUntil } : {}),
    ...(d.team ? { team: d.team.trim() } : {}),
  };
}

const severityTone = (s: string) => (s === 'block' ? 'block' : s === 'warn' ? 'warn' : 'ok');

function Findings({ evaluation }: { evaluation: Evaluation }) {
  return (
    <div class={`decision decision-${evaluation.decision}`} role="status">
      <p>
        <strong>{t(`decision.${evaluation.decision}`)}</strong> {evaluation.findings.length === 0 && t('check.clear')}
      </p>
      <ul class="findings">
        {evaluation.findings.map((f: Finding) => (
          <li key={f.rule}>
            <Chip tone={severityTone(f.severity)}>{t(`severity.${f.severity}`)}</Chip> <code>{f.rule}</code> {f.message}
            {Object.keys(f.evidence).length > 0 && (
              <details>
                <summary>{t('check.evidence')}</summary>
                <dl class="evidence">
                  {Object.entries(f.evidence).map(([k, v]) => (
                    <div key={k}>
                      <dt>{k}</dt>
                      <dd>
                        <bdi dir="ltr">{typeof v === 'string' ? v : JSON.stringify(v)}</bdi>
                      </dd>
                    </div>
                  ))}
                </dl>
              </details>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function OfferCheck({ customer, scopes, onRegistered }: { customer: Customer360; scopes: string[]; onRegistered: () => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [evaluation, setEvaluation] = useState<Evaluation | undefined>();
  const [checkedFor, setCheckedFor] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [override, setOverride] = useState({ actor: '', reason: '' });
  const [registered, setRegistered] = useState<string | undefined>();
  // One key per checked proposal: a double click or a retry registers it once.
  const [idempotencyKey, setIdempotencyKey] = useState('');
  const canWrite = scopes.includes('offers:write') || scopes.includes('admin');
  const request = requestOf(customer.id, draft);
  const stale = checkedFor !== JSON.stringify(request);
  const blocks = evaluation?.findings.filter((f) => f.severity === 'block') ?? [];
  const overridable = blocks.length > 0 && blocks.every((f) => f.overridable === true);

  const field = (name: keyof Draft) => ({
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
  });

  const check = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setRegistered(undefined);
    try {
      setEvaluation(await api<Evaluation>('POST', '/offers/check', request));
      setCheckedFor(JSON.stringify(request));
      setIdempotencyKey(crypto.randomUUID());
      // An override names the offer it was written for: a new check starts with an empty one.
      setOverride({ actor: '', reason: '' });
    } catch (e) {
      setEvaluation(undefined);
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const register = async (withOverride: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const body = withOverride ? { ...request, override: { actor: override.actor.trim(), reason: override.reason.trim() } } : request;
      const result = await api<{ offer: Offer }>('POST', '/offers', body, {
        'idempotency-key': `${idempotencyKey}${withOverride ? '-override' : ''}`,
      });
      setRegistered(result.offer.id);
      setEvaluation(undefined);
      setCheckedFor('');
      setOverride({ actor: '', reason: '' });
      onRegistered();
    } catch (e) {
      if (e instanceof ApiError && Array.isArray(e.body.findings))
        setEvaluation({ decision: 'block', findings: e.body.findings as Finding[] });
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="check-title" class="panel">
      <h3 id="check-title">{t('check.title')}</h3>
      <p class="hint">{t('check.intro')}</p>
      <form onSubmit={check} class="grid-form">
        <label>
          {t('check.kind')}
          <select name="kind" {...field('kind')}>
            {OFFER_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kind.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('check.channel')}
          <select name="channel" {...field('channel')}>
            {OFFER_CHANNELS.map((c) => (
              <option key={c} value={c}>
                {t(`channel.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('check.product')}
          <input name="productId" maxLength={128} dir="ltr" list="owned-products" {...field('productId')} />
        </label>
        <datalist id="owned-products">
          {customer.ownedProducts.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <label>
          {t('check.family')}
          <input name="productFamily" maxLength={128} dir="ltr" {...field('productFamily')} />
        </label>
        <label>
          {t('check.discount')}
          <input name="discountPercent" type="number" min={0} max={100} step="any" {...field('discountPercent')} />
        </label>
        <label>
          {t('check.amount')}
          <input name="amount" type="number" min={0} step="any" {...field('amount')} />
        </label>
        <label>
          {t('check.currency')}
          <input name="currency" maxLength={3} dir="ltr" placeholder="EUR" {...field('currency')} />
        </label>
        <label>
          {t('check.validUntil')}
          <input name="validUntil" type="date" {...field('validUntil')} />
        </label>
        <label>
          {t('check.team')}
          <input name="team" maxLength={128} {...field('team')} />
        </label>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('check.submit')}
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {registered && (
        <p class="ok" role="status">
          {t('check.registered', { id: registered })}
        </p>
      )}
      {evaluation && <Findings evaluation={evaluation} />}
      {evaluation && !stale && evaluation.decision !== 'block' && canWrite && (
        <button type="button" disabled={busy} onClick={() => register(false)}>
          {evaluation.decision === 'warn' ? t('check.registerWarned') : t('check.register')}
        </button>
      )}
      {evaluation && !stale && evaluation.decision === 'block' && canWrite && !overridable && (
        <p class="hint">{t('check.notOverridable')}</p>
      )}
      {evaluation && !stale && evaluation.decision === 'block' && canWrite && overridable && (
        <form
          class="override"
          onSubmit={(e) => {
            e.preventDefault();
            register(true);
          }}
        >
          <p>{t('check.overrideIntro')}</p>
          <label>
            {t('check.overrideActor')}
            <input
              name="actor"
              required
              maxLength={128}
              value={override.actor}
              onInput={(e) => setOverride({ ...override, actor: (e.target as HTMLInputElement).value })}
            />
          </label>
          <label>
            {t('check.overrideReason')}
            <textarea
              name="reason"
              required
              maxLength={1000}
              value={override.reason}
              onInput={(e) => setOverride({ ...override, reason: (e.target as HTMLTextAreaElement).value })}
            />
          </label>
          <button type="submit" class="danger" disabled={busy}>
            {t('check.override')}
          </button>
        </form>
      )}
      {evaluation && !canWrite && <p class="hint">{t('check.readOnly')}</p>}
      {evaluation && stale && <p class="hint">{t('check.changed')}</p>}
    </section>
  );
}
