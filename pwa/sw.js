// The service worker: event handlers only. The shell is cached under a versioned name; the
// version (vendor/shell.js, written by `make pwa`) changes whenever any shell file changes, and
// each version is registered as /sw.js?v=VERSION (see updates.js).

import { SHELL, VERSION } from './vendor/shell.js';
import { network } from './api/client.js';
import { drain } from './outbox/outbox.js';
import { notificationOf, readMessage, screenUrl } from './push/messages.js';
import { renew } from './push/push.js';

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
  // The exact URL first: a match that ignores the query reads every entry of the cache.
  event.respondWith((async () => (await caches.match(request, { cacheName: CACHE }))
    ?? (await caches.match(request, { cacheName: CACHE, ignoreSearch: true }))
    ?? network(request))());
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

// Web Push: show what the server sent, under its tag (a repeated delivery replaces it).
self.addEventListener('push', (event) => {
  const [title, options] = notificationOf(readMessage(event.data), self.location.origin);
  event.waitUntil(self.registration.showNotification(title, options));
});

/**
 * A tap on a notification: the screen it is about, in the app's open window if there is one
 * (told by a message, so nothing typed there is lost to a reload) or in a new window; then a
 * drain, since the resident is probably online now (SYNC.md: a push tap is a drain trigger).
 */
async function openScreen(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (open) {
    open.postMessage({ type: 'open', url });
    await open.focus().catch(() => null); // refused unless the tap itself was real
  } else {
    await self.clients.openWindow(url);
  }
  await drainHere('push-tap');
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openScreen(screenUrl(event.notification.data?.url, self.location.origin)));
});

// The browser replaced the subscription (it expired or was revoked): give the server the new one.
self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(renew(event.oldSubscription, event.newSubscription));
});
