/**
 * The interface in English, Persian (right to left) and Russian. Every catalog has exactly the
 * English keys (the compiler checks it); `{name}` placeholders are filled by `t`. The choice is
 * kept in localStorage (not personal data), defaulting to the browser's preferred language.
 */
import { useEffect, useState } from 'preact/hooks';
import { setFormatLocale } from './format.js';
import { en } from './messages/en.js';
import { fa } from './messages/fa.js';
import { ru } from './messages/ru.js';

export const LANGUAGES = ['en', 'fa', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];
export type MessageKey = keyof typeof en;

const CATALOGS: Record<Language, Record<MessageKey, string>> = { en, fa, ru };
const STORAGE_KEY = 'patron.language';

const NAMES: Record<Language, string> = { en: 'English', fa: 'فارسی', ru: 'Русский' };
export const languageName = (l: Language) => NAMES[l];

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if ((LANGUAGES as readonly string[]).includes(stored ?? '')) return stored as Language;
  const preferred = navigator.languages.map((l) => l.slice(0, 2)).find((l) => (LANGUAGES as readonly string[]).includes(l));
  return (preferred as Language | undefined) ?? 'en';
}

let current: Language = initialLanguage();
setFormatLocale(current);
const listeners = new Set<(l: Language) => void>();

export function setLanguage(next: Language): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  setFormatLocale(next);
  for (const listener of listeners) listener(next);
}

/** Re-renders the caller when the language changes. */
export function useLanguage(): Language {
  const [language, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => {
      listeners.delete(set);
    };
  }, []);
  return language;
}

/**
 * The message for a key in the current language. Keys built from API values (a flag type, a
 * touchpoint type) may name one a newer API added: those read as the raw value, never as a blank.
 */
export function t(key: MessageKey | (string & {}), vars: Record<string, string | number> = {}): string {
  const template = CATALOGS[current][key as MessageKey] ?? en[key as MessageKey] ?? key.slice(key.indexOf('.') + 1);
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}
