/**
 * Lookup by email or phone through the hashed aliases, with the PII in a JSON body instead of a
 * URL (URLs end up in access logs, proxies and browser history): POST /customers/lookup.
 */
import type { CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { normalizeEmail, normalizePhone } from '../identity/normalize.js';
import type { Customer360 } from './customer-360.js';
import { customersByAlias, type CustomerDeps } from './customer-service.js';

export const LookupRequest = z
  .strictObject({
    email: z.string().trim().max(254).email('must be an email address').optional(),
    phone: z.string().trim().min(4).max(32).optional(),
  })
  .refine((b) => (b.email === undefined) !== (b.phone === undefined), { message: 'give exactly one of email or phone' })
  .meta({ id: 'LookupRequest', description: 'Exactly one of email or phone', examples: [{ email: 'ann@example.com' }] });
export type LookupRequest = z.infer<typeof LookupRequest>;

export type LookupDeps = CustomerDeps & { defaultPhoneRegion?: CountryCode };

export async function lookupCustomers(deps: LookupDeps, request: LookupRequest): Promise<Customer360[]> {
  let key: { kind: 'email' | 'phone'; value: string };
  if (request.email !== undefined) key = { kind: 'email', value: normalizeEmail(request.email) };
  else {
    const phone = normalizePhone(request.phone ?? '', deps.defaultPhoneRegion);
    if (!phone)
      throw new ValidationError('Invalid request body', [
        { path: 'body.phone', message: 'is not a phone number (with a country code, or DEFAULT_PHONE_REGION set)' },
      ]);
    key = { kind: 'phone', value: phone };
  }
  return customersByAlias(deps, key);
}
