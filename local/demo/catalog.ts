/**
 * The demo shop: a lifestyle store selling coffee, tea and the things around them. Fixed (not
 * seeded) so that every demo run talks about the same products. Prices are EUR minor units,
 * VAT included. Companion skus are what people tend to buy together: they are what gives the
 * association-rule miner something real to find (coffee -> filters, matcha -> whisk, ...).
 */
export const CURRENCY = 'EUR';

export const CATEGORIES = ['coffee', 'tea', 'kitchen', 'books', 'outdoor', 'electronics', 'home', 'subscriptions'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Subscription {
  interval: 'month' | 'year';
  /** Intervals between charges (Stripe's `recurring.interval_count`); default 1. */
  intervalCount?: number;
  /** The plan name a helpdesk or CRM shows: basic/plus/premium for the membership. */
  plan: string;
  /** Stripe price id. */
  priceId: string;
}

export interface Product {
  /** Shopify product id (numeric string) or, for subscriptions sold through Stripe, a prod_ id. */
  productId: string;
  /** Shopify variant id; subscriptions have none. */
  variantId?: string;
  sku: string;
  name: string;
  handle: string;
  category: Category;
  priceMinor: number;
  vendor: string;
  companions: string[];
  subscription?: Subscription;
}

type Row = [sku: string, name: string, category: Category, priceMinor: number, vendor: string, companions: string[]];

const ROWS: Row[] = [
  ['COF-ETH-250', 'Ethiopia Yirgacheffe beans 250 g', 'coffee', 1290, 'Patron Roasters', ['KIT-FLT-100', 'KIT-V60-02', 'KIT-GRD-01']],
  ['COF-COL-250', 'Colombia Huila beans 250 g', 'coffee', 1150, 'Patron Roasters', ['KIT-FLT-100', 'KIT-FRP-08']],
  ['COF-ESP-1KG', 'House espresso blend 1 kg', 'coffee', 2900, 'Patron Roasters', ['KIT-FRO-01', 'KIT-GRD-01', 'HOM-MUG-4']],
  ['COF-DEC-250', 'Swiss water decaf 250 g', 'coffee', 1090, 'Patron Roasters', ['KIT-FLT-100']],
  ['COF-CBR-6', 'Cold brew bags, 6 pack', 'coffee', 1450, 'Patron Roasters', ['OUT-BTL-750']],
  ['COF-SMP-4', 'Single origin sampler, 4 x 100 g', 'coffee', 2400, 'Patron Roasters', ['BOK-ATL-01', 'KIT-V60-02']],
  ['TEA-SEN-100', 'Japanese sencha 100 g', 'tea', 950, 'Leaf & Co', ['KIT-KTL-01', 'KIT-INF-01']],
  ['TEA-EGR-100', 'Earl Grey 100 g', 'tea', 890, 'Leaf & Co', ['KIT-INF-01', 'HOM-MUG-4']],
  ['TEA-CHA-100', 'Masala chai 100 g', 'tea', 790, 'Leaf & Co', ['KIT-FRO-01']],
  ['TEA-MAT-30', 'Ceremonial matcha 30 g', 'tea', 2400, 'Leaf & Co', ['KIT-WSK-01', 'BOK-TEA-01']],
  ['TEA-HRB-12', 'Herbal sampler, 12 sachets', 'tea', 1200, 'Leaf & Co', ['HOM-CDL-01']],
  ['KIT-V60-02', 'Ceramic pour-over dripper 02', 'kitchen', 2400, 'Hario', ['KIT-FLT-100', 'KIT-KTL-01']],
  ['KIT-FLT-100', 'Paper filters 02, 100 pcs', 'kitchen', 550, 'Hario', []],
  ['KIT-GRD-01', 'Conical burr hand grinder', 'kitchen', 8900, 'Comandante', ['COF-ETH-250']],
  ['KIT-KTL-01', 'Gooseneck kettle 1 l', 'kitchen', 6500, 'Fellow', ['KIT-V60-02']],
  ['KIT-FRP-08', 'French press 8 cup', 'kitchen', 3500, 'Bodum', ['COF-COL-250']],
  ['KIT-FRO-01', 'Handheld milk frother', 'kitchen', 1900, 'Bodum', []],
  ['KIT-INF-01', 'Stainless tea infuser', 'kitchen', 900, 'Leaf & Co', []],
  ['KIT-WSK-01', 'Bamboo matcha whisk', 'kitchen', 1600, 'Leaf & Co', ['TEA-MAT-30']],
  ['BOK-ATL-01', 'The World Atlas of Coffee', 'books', 3200, 'Mitchell Beazley', ['COF-SMP-4']],
  ['BOK-TEA-01', 'The Tea Cookbook', 'books', 2800, 'Phaidon', ['TEA-MAT-30']],
  ['BOK-TRL-01', 'Weekend Trails: 52 hikes', 'books', 2400, 'Wanderlust Press', ['OUT-MUG-35']],
  ['BOK-HYG-01', 'The Little Book of Slow Living', 'books', 1600, 'Penguin', ['HOM-CDL-01']],
  ['BOK-BRW-01', 'Brew Better Coffee at Home', 'books', 2200, 'Ten Speed', ['KIT-V60-02']],
  ['OUT-BTL-750', 'Insulated bottle 750 ml', 'outdoor', 2900, 'Klean Kanteen', ['OUT-MUG-35']],
  ['OUT-MUG-35', 'Enamel camping mug', 'outdoor', 1800, 'Snow Peak', ['OUT-PRS-01']],
  ['OUT-BLK-01', 'Waterproof picnic blanket', 'outdoor', 4500, 'Rumpl', ['OUT-BTL-750']],
  ['OUT-PRS-01', 'Travel coffee press', 'outdoor', 3900, 'Stanley', ['COF-COL-250', 'ELE-PWB-10']],
  ['OUT-FLK-05', 'Vacuum flask 0.5 l', 'outdoor', 3400, 'Stanley', ['TEA-EGR-100']],
  ['ELE-CHG-65', 'USB-C charger 65 W', 'electronics', 3900, 'Anker', ['ELE-CBL-2M']],
  ['ELE-CBL-2M', 'Braided USB-C cable 2 m', 'electronics', 1200, 'Anker', []],
  ['ELE-PWB-10', 'Power bank 10,000 mAh', 'electronics', 4500, 'Anker', ['ELE-CBL-2M']],
  ['ELE-EAR-01', 'Wireless earbuds', 'electronics', 7900, 'Jabra', ['ELE-CHG-65']],
  ['ELE-STD-01', 'Aluminium phone stand', 'electronics', 1900, 'Twelve South', []],
  ['HOM-CDL-01', 'Soy candle, cedar & smoke', 'home', 1900, 'Patron Home', ['BOK-HYG-01']],
  ['HOM-MUG-4', 'Stoneware mug set of 4', 'home', 3200, 'Patron Home', ['COF-ESP-1KG']],
  ['HOM-TRY-01', 'Oak serving tray', 'home', 3900, 'Patron Home', []],
  ['HOM-THR-01', 'Wool throw blanket', 'home', 7500, 'Patron Home', ['HOM-CDL-01']],
];

const SUBSCRIPTION_ROWS: Array<[sku: string, name: string, priceMinor: number, productId: string, sub: Subscription]> = [
  [
    'MEM-BASIC-Y',
    'Patron membership basic (yearly)',
    3900,
    'prod_QzB4s1cM3mb3r0',
    { interval: 'year', plan: 'basic', priceId: 'price_1QzB4s1cYrly0000aBcDeF01' },
  ],
  [
    'MEM-PLUS-Y',
    'Patron membership plus (yearly)',
    7900,
    'prod_QzP1usM3mb3r00',
    { interval: 'year', plan: 'plus', priceId: 'price_1QzP1usYrly00000aBcDeF02' },
  ],
  [
    'MEM-PREM-Y',
    'Patron membership premium (yearly)',
    14900,
    'prod_QzPr3mM3mb3r00',
    { interval: 'year', plan: 'premium', priceId: 'price_1QzPr3mYrly00000aBcDeF03' },
  ],
  [
    'SUB-COF-2M',
    'Coffee subscription, 1 kg every two months',
    4490,
    'prod_QzC0ff33Sub000',
    { interval: 'month', intervalCount: 2, plan: 'bimonthly', priceId: 'price_1QzC0ff332Mth0000aBcDe04' },
  ],
];

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export const CATALOG: readonly Product[] = [
  ...ROWS.map(
    ([sku, name, category, priceMinor, vendor, companions], i): Product => ({
      productId: String(8_146_392_000_000 + i * 104_729),
      variantId: String(44_120_518_000_000 + i * 130_363),
      sku,
      name,
      handle: slug(name),
      category,
      priceMinor,
      vendor,
      companions,
    }),
  ),
  ...SUBSCRIPTION_ROWS.map(
    ([sku, name, priceMinor, productId, subscription]): Product => ({
      productId,
      sku,
      name,
      handle: slug(name),
      category: 'subscriptions',
      priceMinor,
      vendor: 'Patron',
      companions: [],
      subscription,
    }),
  ),
];

export const BY_SKU: ReadonlyMap<string, Product> = new Map(CATALOG.map((p) => [p.sku, p]));
export const SHOP_PRODUCTS: readonly Product[] = CATALOG.filter((p) => !p.subscription);
export const MEMBERSHIP: Record<'basic' | 'plus' | 'premium', Product> = {
  basic: BY_SKU.get('MEM-BASIC-Y')!,
  plus: BY_SKU.get('MEM-PLUS-Y')!,
  premium: BY_SKU.get('MEM-PREM-Y')!,
};
export const COFFEE_SUBSCRIPTION: Product = BY_SKU.get('SUB-COF-2M')!;

export function productBySku(sku: string): Product {
  const p = BY_SKU.get(sku);
  if (!p) throw new Error(`unknown sku ${sku}`);
  return p;
}
