/**
 * segments.svg: a one-page picture of the segments for a marketer, in plain SVG (no deps).
 *
 * Left: a bubble chart. One bubble per segment, x = mean days since the last purchase
 * (reversed: recent customers on the right), y = mean repeat purchases, bubble AREA ∝ number
 * of customers, colour = mean value (CLV when the data has amounts, else expected purchases)
 * on a viridis-like scale spanning the segments' range (lowest to highest mean). Each bubble is labelled with the segment name, size and share.
 * Right: the segment sizes as horizontal bars (largest first) and the colour legend.
 */
import type { SegmentProfile } from './writers.js';

export interface SvgOptions {
  title?: string;
  /** e.g. "2,357 customers · as of 1997-09-30" */
  subtitle?: string;
  /** 'clv' colours by meanClv (currency), 'purchases' by meanExpectedPurchases. */
  valueMetric: 'clv' | 'purchases';
  /** ISO code for the legend; 'USD' shows as $, none shows plain numbers. */
  currency?: string;
  /** The chart's words in another language (the web console's); English where absent. */
  labels?: Partial<SvgLabels>;
}

export interface SvgLabels {
  xAxis: string;
  yAxis: string;
  perSegment: string;
  /** `{metric}` is replaced by metricClv or metricPurchases. */
  legend: string;
  colour: string;
  metricClv: string;
  metricPurchases: string;
  area: string;
  readIt: string;
  /** Before each bar's value. */
  barClv: string;
  barPurchases: string;
}

export const ENGLISH_SVG_LABELS: SvgLabels = {
  xAxis: 'Days since last purchase (segment mean)  ← lapsed · recent →',
  yAxis: 'Repeat purchases per customer (segment mean)',
  perSegment: 'Customers per segment',
  legend: 'bubble area = customers, colour = {metric}',
  colour: 'Colour: {metric}',
  metricClv: 'mean customer lifetime value',
  metricPurchases: 'mean expected purchases',
  area: 'Bubble area is proportional to the number of customers.',
  readIt:
    'Read it: up and to the right = recent, frequent buyers; down and to the left = lapsed one-time buyers. Hover a bubble for its numbers.',
  barClv: 'mean CLV',
  barPurchases: 'expected purchases',
};

const W = 1000;
const H = 640;
const PLOT = { left: 90, right: 640, top: 96, bottom: 540 };
const R_MAX = 56;
const R_MIN = 5;
const FONT = 'font-family="\'Segoe UI\', Helvetica, Arial, sans-serif"';

const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function hex(c: string): [number, number, number] {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

/** t in [0,1] → colour on the viridis-like ramp. */
export function ramp(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hex(VIRIDIS[i]!);
  const b = hex(VIRIDIS[i + 1]!);
  return `#${a
    .map((v, k) =>
      Math.round(v + (b[k]! - v) * f)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function luminance(c: string): number {
  const [r, g, b] = hex(c);
  return (0.299 * r + 0.587 * g + 0.114 * b) / 255;
}

/** Nice tick step for [0, max] with about `count` ticks. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;

function fmtValue(v: number, metric: SvgOptions['valueMetric'], currency?: string): string {
  if (metric === 'purchases') return v.toFixed(v < 10 ? 2 : 1);
  const sym = currency === undefined ? '' : currency === 'USD' ? '$' : `${currency} `;
  return `${sym}${Math.abs(v) >= 1000 ? int(v) : v.toFixed(2)}`;
}

function fmtTick(v: number): string {
  return Number.isInteger(v) ? int(v) : v.toFixed(v < 1 ? 2 : 1);
}

export interface Placed {
  p: SegmentProfile;
  cx: number;
  cy: number;
  r: number;
  colour: string;
  value: number;
}

export function segmentsSvg(profiles: readonly SegmentProfile[], opts: SvgOptions): string {
  const segs = profiles.filter((p) => p.size > 0);
  const value = (p: SegmentProfile): number => (opts.valueMetric === 'clv' ? (p.meanClv ?? 0) : p.meanExpectedPurchases);
  const values = segs.map(value);
  // colour domain = the data's range (lowest to highest segment mean): segments with close
  // values (1.84 vs 1.85 expected purchases) still get distinct shades; the legend shows the
  // range's ends, so the colours are read against it, not against 0
  const vMin = Math.min(...values, Infinity);
  const vMax = Math.max(...values, -Infinity);
  const tOf = (v: number): number => (vMax > vMin ? (v - vMin) / (vMax - vMin) : 0.5);
  const maxSize = Math.max(1, ...segs.map((p) => p.size));

  const xTicks = niceTicks(Math.max(...segs.map((p) => p.meanDaysSinceLastPurchase), 1));
  const yTicks = niceTicks(Math.max(...segs.map((p) => p.meanFrequency), 0.1));
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  // inner padding so bubbles at the extremes stay inside the frame
  const pad = R_MAX + 4;
  const xPx = (days: number): number => PLOT.right - pad - (days / xMax) * (PLOT.right - PLOT.left - 2 * pad);
  const yPx = (freq: number): number => PLOT.bottom - pad - (freq / yMax) * (PLOT.bottom - PLOT.top - 2 * pad);

  const placed: Placed[] = segs
    .map((p) => {
      const v = value(p);
      return {
        p,
        cx: xPx(p.meanDaysSinceLastPurchase),
        cy: yPx(p.meanFrequency),
        r: Math.max(R_MIN, R_MAX * Math.sqrt(p.size / maxSize)),
        colour: ramp(tOf(v)),
        value: v,
      };
    })
    // big bubbles first so small ones stay visible on top
    .sort((a, b) => b.r - a.r);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`);
  out.push(`<title>${escapeXml(opts.title ?? 'Customer segments')}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${PLOT.left - 60}" y="34" font-size="22" font-weight="700" fill="#1f2933">${escapeXml(opts.title ?? 'Customer segments')}</text>`,
  );
  const L: SvgLabels = { ...ENGLISH_SVG_LABELS, ...opts.labels };
  const metricLabel = opts.valueMetric === 'clv' ? L.metricClv : L.metricPurchases;
  const sub = [opts.subtitle, L.legend.replace('{metric}', metricLabel)].filter(Boolean).join(' · ');
  out.push(`<text x="${PLOT.left - 60}" y="58" font-size="13" fill="#52606d">${escapeXml(sub)}</text>`);

  // frame, grid, ticks
  out.push(`<g class="axes" stroke="#e4e7eb" fill="none">`);
  out.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" stroke="#cbd2d9"/>`,
  );
  for (const t of xTicks) out.push(`<line x1="${f1(xPx(t))}" y1="${PLOT.top}" x2="${f1(xPx(t))}" y2="${PLOT.bottom}"/>`);
  for (const t of yTicks) out.push(`<line x1="${PLOT.left}" y1="${f1(yPx(t))}" x2="${PLOT.right}" y2="${f1(yPx(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="ticks" fill="#52606d" font-size="11">`);
  for (const t of xTicks) out.push(`<text x="${f1(xPx(t))}" y="${PLOT.bottom + 16}" text-anchor="middle">${fmtTick(t)}</text>`);
  for (const t of yTicks) out.push(`<text x="${PLOT.left - 8}" y="${f1(yPx(t) + 4)}" text-anchor="end">${fmtTick(t)}</text>`);
  out.push(`</g>`);
  const midX = (PLOT.left + PLOT.right) / 2;
  const midY = (PLOT.top + PLOT.bottom) / 2;
  out.push(
    `<text class="axis-title" x="${midX}" y="${PLOT.bottom + 40}" text-anchor="middle" font-size="13" fill="#323f4b">${escapeXml(L.xAxis)}</text>`,
  );
  out.push(
    `<text class="axis-title" x="${PLOT.left - 52}" y="${midY}" text-anchor="middle" font-size="13" fill="#323f4b" transform="rotate(-90 ${PLOT.left - 52} ${midY})">${escapeXml(L.yAxis)}</text>`,
  );

  // bubbles
  out.push(`<g class="bubbles">`);
  for (const b of placed) {
    const tip = `${b.p.name}: ${int(b.p.size)} customers (${pct(b.p.share)}), ${f1(b.p.meanDaysSinceLastPurchase)} days since last purchase, ${b.p.meanFrequency.toFixed(2)} repeat purchases, ${metricLabel} ${fmtValue(b.value, opts.valueMetric, opts.currency)}`;
    out.push(
      `<circle class="segment" data-segment="${escapeXml(b.p.name)}" cx="${f1(b.cx)}" cy="${f1(b.cy)}" r="${f1(b.r)}" fill="${b.colour}" fill-opacity="0.82" stroke="#ffffff" stroke-width="1.5"><title>${escapeXml(tip)}</title></circle>`,
    );
  }
  out.push(`</g>`);

  // labels: greedy placement, biggest bubbles first, choosing among inside / around-the-bubble
  // positions the one that overlaps least with labels already placed, other bubbles and the frame
  const labels = placeLabels(placed);
  out.push(`<g class="labels">`);
  for (const l of labels) {
    const inkOnBubble = luminance(l.b.colour) > 0.55 ? '#1f2933' : '#ffffff';
    const halo = l.inside ? '' : ' stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"';
    if (l.leader)
      out.push(
        `<line class="leader" x1="${f1(l.leader[0])}" y1="${f1(l.leader[1])}" x2="${f1(l.leader[2])}" y2="${f1(l.leader[3])}" stroke="#9aa5b1" stroke-width="1"/>`,
      );
    out.push(
      `<text class="label" data-segment="${escapeXml(l.b.p.name)}" x="${f1(l.x)}" y="${f1(l.y + 12)}" text-anchor="${l.anchor}" fill="${l.inside ? inkOnBubble : '#1f2933'}"${halo}><tspan font-weight="700" font-size="13">${escapeXml(l.b.p.name)}</tspan><tspan x="${f1(l.x)}" dy="15" font-size="11">${escapeXml(`${int(l.b.p.size)} · ${pct(l.b.p.share)}`)}</tspan></text>`,
    );
  }
  out.push(`</g>`);

  // right panel: sizes
  const panelX = 680;
  const barMax = 200;
  out.push(`<g class="sizes">`);
  out.push(`<text x="${panelX}" y="${PLOT.top - 12}" font-size="14" font-weight="700" fill="#1f2933">${escapeXml(L.perSegment)}</text>`);
  const bySize = [...placed].sort((a, b) => b.p.size - a.p.size);
  const rowH = Math.min(44, (330 - 10) / Math.max(1, bySize.length));
  bySize.forEach((b, i) => {
    const y = PLOT.top + 8 + i * rowH;
    const w = Math.max(2, (b.p.size / maxSize) * barMax);
    const valueNote = `${opts.valueMetric === 'clv' ? L.barClv : L.barPurchases} ${fmtValue(b.value, opts.valueMetric, opts.currency)}`;
    out.push(
      `<text x="${panelX}" y="${f1(y + 10)}" font-size="12" fill="#323f4b"><tspan font-weight="600">${escapeXml(b.p.name)}</tspan><tspan dx="6" fill="#7b8794" font-size="11">(${escapeXml(valueNote)})</tspan></text>`,
    );
    out.push(
      `<rect class="size-bar" data-segment="${escapeXml(b.p.name)}" x="${panelX}" y="${f1(y + 15)}" width="${f1(w)}" height="${f1(Math.min(14, rowH - 20))}" rx="2" fill="${b.colour}"/>`,
    );
    out.push(`<text x="${f1(panelX + w + 6)}" y="${f1(y + 26)}" font-size="11" fill="#52606d">${int(b.p.size)} (${pct(b.p.share)})</text>`);
  });
  out.push(`</g>`);

  // colour legend
  const ly = 470;
  out.push(`<g class="legend">`);
  out.push(
    `<defs><linearGradient id="value-ramp" x1="0" x2="1" y1="0" y2="0">${VIRIDIS.map((c, i) => `<stop offset="${i / (VIRIDIS.length - 1)}" stop-color="${c}"/>`).join('')}</linearGradient></defs>`,
  );
  out.push(
    `<text x="${panelX}" y="${ly}" font-size="12" font-weight="700" fill="#1f2933">${escapeXml(L.colour.replace('{metric}', metricLabel))}</text>`,
  );
  out.push(`<rect x="${panelX}" y="${ly + 8}" width="${barMax + 60}" height="12" fill="url(#value-ramp)"/>`);
  if (segs.length > 0) {
    out.push(
      `<text x="${panelX}" y="${ly + 34}" font-size="11" fill="#52606d">${escapeXml(fmtValue(vMin, opts.valueMetric, opts.currency))}</text>`,
    );
    out.push(
      `<text x="${panelX + barMax + 60}" y="${ly + 34}" font-size="11" fill="#52606d" text-anchor="end">${escapeXml(fmtValue(vMax, opts.valueMetric, opts.currency))}</text>`,
    );
  }
  out.push(`<text x="${panelX}" y="${ly + 56}" font-size="11" fill="#7b8794">${escapeXml(L.area)}</text>`);
  out.push(`</g>`);
  out.push(`<text class="note" x="${PLOT.left - 60}" y="${H - 18}" font-size="11" fill="#7b8794">${escapeXml(L.readIt)}</text>`);
  if (segs.length === 0) out.push(`<text x="${midX}" y="${midY}" text-anchor="middle" fill="#7b8794">no customers</text>`);
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

interface Label {
  b: Placed;
  /** Text anchor point and the TOP of the two-line label box. */
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  inside: boolean;
  box: Box;
  leader?: [number, number, number, number];
}

const LABEL_H = 30;

/** Rough text width: 13px bold name / 11px size line. */
function labelWidth(p: SegmentProfile): number {
  return Math.max(p.name.length * 7.6, `${int(p.size)} · ${pct(p.share)}`.length * 6.2) + 4;
}

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Approximate area of a box inside a circle (box ∩ circle's bounding square × π/4). */
function circleOverlap(box: Box, c: Placed): number {
  return overlap(box, { x0: c.cx - c.r, y0: c.cy - c.r, x1: c.cx + c.r, y1: c.cy + c.r }) * (Math.PI / 4);
}

function candidates(b: Placed): Omit<Label, 'b'>[] {
  const w = labelWidth(b.p);
  const h = LABEL_H;
  const out: Omit<Label, 'b'>[] = [];
  const at = (x: number, y: number, anchor: Label['anchor'], inside: boolean, leader?: Label['leader']): void => {
    const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
    out.push({ x, y, anchor, inside, box: { x0, y0: y, x1: x0 + w, y1: y + h }, ...(leader ? { leader } : {}) });
  };
  if (w <= 1.9 * b.r && b.r >= 24) at(b.cx, b.cy - h / 2, 'middle', true);
  for (const gap of [6, 40]) {
    const d = b.r + gap;
    const lead = (ex: number, ey: number): Label['leader'] | undefined => {
      if (gap < 20) return undefined;
      const len = Math.hypot(ex - b.cx, ey - b.cy) || 1;
      return [b.cx + ((ex - b.cx) / len) * b.r, b.cy + ((ey - b.cy) / len) * b.r, ex, ey];
    };
    at(b.cx + d, b.cy - h / 2, 'start', false, lead(b.cx + d - 2, b.cy));
    at(b.cx - d, b.cy - h / 2, 'end', false, lead(b.cx - d + 2, b.cy));
    at(b.cx, b.cy - d - h, 'middle', false, lead(b.cx, b.cy - d));
    at(b.cx, b.cy + d, 'middle', false, lead(b.cx, b.cy + d));
    const k = d * Math.SQRT1_2;
    at(b.cx + k, b.cy - k - h, 'start', false, lead(b.cx + k, b.cy - k));
    at(b.cx - k, b.cy - k - h, 'end', false, lead(b.cx - k, b.cy - k));
    at(b.cx + k, b.cy + k, 'start', false, lead(b.cx + k, b.cy + k));
    at(b.cx - k, b.cy + k, 'end', false, lead(b.cx - k, b.cy + k));
  }
  return out;
}

export function placeLabels(placed: readonly Placed[]): Label[] {
  const frame: Box = { x0: PLOT.left + 2, y0: PLOT.top + 2, x1: PLOT.right - 2, y1: PLOT.bottom - 2 };
  const done: Label[] = [];
  for (const b of placed) {
    let best: Label | undefined;
    let bestScore = Infinity;
    candidates(b).forEach((c, order) => {
      const area = (c.box.x1 - c.box.x0) * (c.box.y1 - c.box.y0);
      let score = order * 0.5 + (c.leader ? 50 : 0);
      score += (area - overlap(c.box, frame)) * 20; // outside the plot
      for (const l of done) score += overlap(c.box, l.box) * 20;
      for (const o of placed) if (o !== b) score += circleOverlap(c.box, o) * (c.inside ? 3 : 1);
      if (!c.inside) score += circleOverlap(c.box, b) * 2;
      if (score < bestScore) {
        bestScore = score;
        best = { b, ...c };
      }
    });
    done.push(best!);
  }
  return done;
}

function f1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
