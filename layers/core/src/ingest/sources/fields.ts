/** Field schemas the provider adapters share (bounds from BOUNDS in touchpoint.ts). */
import { z } from 'zod';
import { BOUNDS } from '../../touchpoint.js';

/** Optional text where providers send null or "" for "none": blank as absent, at most `max` characters. */
export const textOf = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((v) => v?.trim() || undefined);
/** Subjects, comments, descriptions. */
export const Text = textOf(BOUNDS.maxTextLength);
/** Skus, titles, vendors, person names: they become skus, names and categories. */
export const NameText = textOf(BOUNDS.maxNameLength);
