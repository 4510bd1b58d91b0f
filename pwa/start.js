// The page's first module. The app is some 35 small modules that a browser finds level by level
// through their imports, one round trip per level: on a slow network, seconds before the first
// screen. So every module and message catalogue of the shell (vendor/shell.js, written by
// `make pwa`) is asked for at once, then the app starts. Asked from here rather than listed in
// index.html: the list is never out of date, and the loading page paints without waiting.
import { LOCALES, SHELL } from './vendor/shell.js';

const WORKER_ONLY = new Set(['/sw.js', '/push/messages.js']);

function preload(href, rel, as) {
  const link = document.createElement('link');
  Object.assign(link, { rel, href });
  if (as) {
    link.as = as;
    link.crossOrigin = 'anonymous'; // as getJson asks for it (same-origin credentials)
  }
  document.head.append(link);
}

function start() {
  // With the service worker in control every file is a cache read away, and asking for 40 at
  // once costs more (some 100 ms of one task on a slow phone) than it saves.
  if (!navigator.serviceWorker?.controller) {
    SHELL.filter((url) => url.endsWith('.js') && !WORKER_ONLY.has(url)).forEach((url) => preload(url, 'modulepreload'));
    LOCALES.forEach((code) => preload(`/i18n/${code}.json`, 'preload', 'fetch'));
  }
  import('./app.js');
}

// The loading page is painted first; then the network is the app's.
requestAnimationFrame(() => setTimeout(start, 0));
