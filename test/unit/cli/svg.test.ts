import { escapeXml, niceTicks, placeLabels, ramp, segmentsSvg, type Placed } from '../../../cli/svg.js';
import { segmentProfiles, type SegmentProfile } from '../../../cli/writers.js';
import { sampleResult } from './fixtures.js';

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

describe('segments.svg', () => {
  const profiles = segmentProfiles(sampleResult(), { hasAmounts: true });
  const svg = segmentsSvg(profiles, { title: 'Customer segments', subtitle: '3 customers', valueMetric: 'clv', currency: 'USD' });

  it('is one well-formed svg element', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(count(svg, /<svg\b/g)).toBe(1);
    // every opened tag closes (crude balance check on the element types we emit)
    for (const tag of ['g', 'text', 'circle', 'title', 'tspan', 'linearGradient', 'defs']) {
      const open = count(svg, new RegExp(`<${tag}(?:\\s[^>]*[^/])?>`, 'g'));
      const close = count(svg, new RegExp(`</${tag}>`, 'g'));
      expect({ tag, open }).toEqual({ tag, open: close });
    }
  });

  it('has one bubble, one label and one size bar per segment, with the names escaped', () => {
    expect(count(svg, /<circle class="segment"/g)).toBe(2);
    expect(count(svg, /<text class="label"/g)).toBe(2);
    expect(count(svg, /<rect class="size-bar"/g)).toBe(2);
    expect(svg).toContain('data-segment="Champions"');
    expect(svg).toContain('At risk, &quot;lapsing&quot;');
    expect(svg).not.toContain('"lapsing"');
    expect(svg).toContain('2 · 67%');
  });

  it('has a title, axis titles and a colour legend', () => {
    expect(svg).toContain('<title>Customer segments</title>');
    expect(svg).toContain('Days since last purchase');
    expect(svg).toContain('Repeat purchases per customer');
    expect(svg).toContain('Colour: mean customer lifetime value');
    expect(svg).toContain('$5.00');
    expect(svg).toContain('$111.73');
  });

  it('puts recent segments to the right and frequent ones higher, area ∝ size', () => {
    const circles = [...svg.matchAll(/<circle class="segment" data-segment="([^"]+)" cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"/g)].map(
      (m) => ({
        name: m[1],
        cx: Number(m[2]),
        cy: Number(m[3]),
        r: Number(m[4]),
      }),
    );
    const champ = circles.find((c) => c.name === 'Champions')!;
    const risk = circles.find((c) => c.name !== 'Champions')!;
    expect(champ.cx).toBeGreaterThan(risk.cx); // 16 days vs 190 days
    expect(champ.cy).toBeLessThan(risk.cy); // 4.5 vs 1 repeat purchases
    expect((champ.r / risk.r) ** 2).toBeCloseTo(2, 1);
  });

  it('colours by expected purchases when there are no amounts, and copes with no segments', () => {
    const p = segmentsSvg(segmentProfiles(sampleResult(), { hasAmounts: false }), { valueMetric: 'purchases' });
    expect(p).toContain('Colour: mean expected purchases');
    const empty = segmentsSvg([], { valueMetric: 'clv', currency: 'USD' });
    expect(empty).toContain('no customers');
    expect(count(empty, /<circle/g)).toBe(0);
  });

  it('helpers', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).toBe('&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;');
    expect(ramp(0)).toBe('#440154');
    expect(ramp(1)).toBe('#fde725');
    expect(niceTicks(190)).toEqual([0, 50, 100, 150, 200]);
    expect(niceTicks(4.5)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps labels of overlapping bubbles apart', () => {
    const base = profiles[0]!;
    const bubble = (name: string, cx: number, cy: number, r: number): Placed => ({
      p: { ...base, name } as SegmentProfile,
      cx,
      cy,
      r,
      colour: '#440154',
      value: 1,
    });
    const placed = [
      bubble('Hibernating', 200, 480, 56),
      bubble('At risk', 170, 470, 50),
      bubble("Can't lose them", 185, 475, 30),
      bubble('Loyal', 360, 380, 38),
    ];
    const labels = placeLabels(placed);
    expect(labels).toHaveLength(4);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i]!.box;
        const b = labels[j]!.box;
        const apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
        expect({ pair: [labels[i]!.b.p.name, labels[j]!.b.p.name], apart }).toEqual({
          pair: [labels[i]!.b.p.name, labels[j]!.b.p.name],
          apart: true,
        });
      }
    }
  });

  it('spreads the colour scale over the data range: close values get distinct shades', () => {
    const [a, b] = segmentProfiles(sampleResult(), { hasAmounts: false });
    const close = [
      { ...a!, meanExpectedPurchases: 1.84 },
      { ...b!, meanExpectedPurchases: 1.85 },
    ];
    const out = segmentsSvg(close, { valueMetric: 'purchases' });
    const fill = (name: string): string =>
      new RegExp(`<circle class="segment" data-segment="${escapeXml(name)}"[^>]* fill="(#[0-9a-f]{6})"`).exec(out)![1]!;
    expect(fill(a!.name)).toBe(ramp(0));
    expect(fill(b!.name)).toBe(ramp(1));
    expect(fill(a!.name)).not.toBe(fill(b!.name));
    // the legend shows the range's ends
    expect(out).toContain('>1.84</text>');
    expect(out).toContain('>1.85</text>');
    // one segment (or equal values): the middle of the ramp
    const single = segmentsSvg([close[0]!], { valueMetric: 'purchases' });
    expect(single).toContain(`fill="${ramp(0.5)}"`);
  });
});
