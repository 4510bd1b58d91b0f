// The service worker's registration and the "a new version is ready" flow.
//
// Each release is registered under its own script URL (/sw.js?v=VERSION), found by asking the
// server for vendor/version.json. Chromium cannot start an updated module service worker when
// one of its imported modules changed while others answer 304, so a byte-for-byte update of the
// same URL is not relied on. A new version installs beside the old one and waits until the
// resident chooses to update: nothing reloads under their hands.

import { getJson } from './api/client.js';
import { VERSION } from './vendor/shell.js';

const CHECK_EVERY_MS = 10 * 60 * 1000;

function versionOf(worker) {
  return worker ? new URL(worker.scriptURL).searchParams.get('v') : null;
}

/** True when this version's shell is already cached (installed under another script URL). */
async function installed(version) {
  const name = `otagai-shell-${version}`;
  return (await caches.has(name)) && (await (await caches.open(name)).keys()).length > 0;
}

function register(version) {
  return navigator.serviceWorker.register(`/sw.js?v=${encodeURIComponent(version)}`, {
    type: 'module', scope: '/', updateViaCache: 'none',
  });
}

/** Register, and call onUpdateReady(apply) when a new version waits; apply() switches to it. */
export async function startServiceWorker({ onUpdateReady }) {
  if (!('serviceWorker' in navigator)) return null;
  let reloading = false;
  const offer = (worker) => onUpdateReady(() => {
    reloading = true;
    worker.postMessage({ type: 'SKIP_WAITING' });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading) window.location.reload(); // only when the resident asked for the new version
  });
  let registration = null;
  try {
    registration = (await navigator.serviceWorker.getRegistration('/')) ?? (await register(VERSION));
  } catch {
    registration = null;
  }
  if (!registration) return null; // the app still works online; it cannot start offline here
  const watch = (worker) => worker?.addEventListener('statechange', () => {
    if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
  });
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));

  let checking = false;
  let lastCheck = 0;
  async function check({ force = false } = {}) {
    if (checking || navigator.onLine === false || (!force && Date.now() - lastCheck < CHECK_EVERY_MS)) return;
    checking = true;
    lastCheck = Date.now();
    try {
      const latest = (await getJson('/vendor/version.json', { fresh: true }))?.version;
      const newest = registration.installing ?? registration.waiting ?? registration.active;
      if (latest && latest !== versionOf(newest) && !(await installed(latest))) await register(latest);
    } catch {
      // offline or the server is busy: the next check will tell
    } finally {
      checking = false;
    }
  }
  window.addEventListener('online', () => check({ force: true }));
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
  check({ force: true });
  return registration;
}
