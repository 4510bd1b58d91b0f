// The service worker: event handlers only. The shell is cached under a versioned name; the
// version (vendor/shell.js, written by `make pwa`) changes whenever any shell file changes, and
// each version is registered as /sw.js?v=VERSION (see updates.js).

import { SHELL, VERSION } from './vendor/shell.js';
import { network } from './api/client.js';
import { drain } from './outbox/outbox.js';

const CACHE = `otagai-shell-${VERSION}`;
const NETWORK_ONLY = ['/graphql', '/healthz', '/exports/', '/vendor/version.json'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })))),
  );
  // No skipWaiting here: a new version waits until the resident chooses to update.
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('otagai-shell-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NETWORK_ONLY.some((p) => url.pathname.startsWith(p))) return;
  if (request.mode === 'navigate') {
    // Every screen is a hash route of the one page: the cached shell answers, online or not.
    event.respondWith(caches.match('/index.html', { cacheName: CACHE }).then((hit) => hit ?? network(request)));
    return;
  }
  event.respondWith(
    caches.match(request, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit ?? network(request)),
  );
});

async function drainHere(reason) {
  const report = await drain({ appVersion: VERSION });
  const windows = await self.clients.matchAll({ type: 'window' });
  windows.forEach((w) => w.postMessage({ type: 'drain', reason }));
  return report;
}

// Background Sync (Chromium only): drain with no window open. A rejection asks for a retry.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'otagai-outbox') return;
  event.waitUntil(drainHere('background-sync').then((report) => {
    if (['offline', 'not-processed', 'malformed'].includes(report.stoppedBecause)
        || report.stoppedBecause.startsWith('http-')) {
      throw new Error(`outbox not drained: ${report.stoppedBecause}`);
    }
  }));
});

// Web Push: show what the server sent ({title, body, tag, url}).
self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data?.json() ?? {};
  } catch {
    message = { body: event.data?.text() ?? '' };
  }
  event.waitUntil(self.registration.showNotification(message.title ?? 'お互い様 Otagai', {
    body: message.body ?? '', tag: message.tag, data: { url: message.url ?? '/#/checkin' },
    icon: '/icons/icon-192.png', badge: '/icons/icon-192.png',
  }));
});

// A tap on a notification: open or focus the app, and drain (the resident is probably online).
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? '/#/checkin', self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((w) => new URL(w.url).origin === url.origin);
    if (open) {
      await open.focus();
      if (url.hash) await open.navigate(url.href).catch(() => null);
    } else {
      await self.clients.openWindow(url.href);
    }
    await drainHere('push-tap');
  })());
});
