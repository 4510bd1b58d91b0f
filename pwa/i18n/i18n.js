// Message catalogues: one flat JSON file per locale in this folder (ja.json, en.json,
// ja-easy.json…), edited by translators. Adding a language is adding a file: `make pwa` lists
// every catalogue in vendor/shell.js, and the service worker caches them for offline use.
// A key missing from a catalogue falls back to Japanese, then to the key itself.

import { getJson } from '../api/client.js';
import { LOCALES } from '../vendor/shell.js';

export const DEFAULT_LOCALE = 'ja';
const loaded = new Map();

export function availableLocales() {
  return [DEFAULT_LOCALE, ...LOCALES.filter((code) => code !== DEFAULT_LOCALE)];
}

export function catalogue(code) {
  // The promise is kept, so that the first screen's parallel reads fetch each file once.
  if (!loaded.has(code)) {
    const asked = getJson(`/i18n/${code}.json`);
    loaded.set(code, asked);
    asked.then((messages) => messages || loaded.delete(code)); // a failure is asked again
  }
  return loaded.get(code);
}

function format(template, params) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A translator function for a locale: t('key', {n: 3}) → "3 件送信待ち". */
export async function translator(code) {
  const fallback = (await catalogue(DEFAULT_LOCALE)) ?? {};
  const messages = (availableLocales().includes(code) && (await catalogue(code))) || fallback;
  const t = (key, params = {}) => format(messages[key] ?? fallback[key] ?? key, params);
  t.locale = messages === fallback ? DEFAULT_LOCALE : code;
  t.lang = messages['meta.lang'] ?? 'ja';
  t.dir = messages['meta.dir'] ?? 'ltr';
  return t;
}

/** The name of each available language, in that language (for the language picker). */
export async function languageNames() {
  const codes = availableLocales();
  const all = await Promise.all(codes.map((code) => catalogue(code)));
  return codes.map((code, i) => [code, all[i]]).filter(([, messages]) => messages)
    .map(([code, messages]) => ({ code, name: messages['meta.name'] ?? code, lang: messages['meta.lang'] ?? code }));
}
