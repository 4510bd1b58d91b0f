// When the outbox drains and the replica is pulled (SYNC.md "The PWA outbox"): on start,
// `online`, becoming visible, after each local write (debounced), every 30 s while visible, on
// a push-notification tap and on the service worker's `sync` event.

import * as outbox from './outbox/outbox.js';

const INTERVAL_MS = 30000;
const DEBOUNCE_MS = 300;
const BACKGROUND_SYNC_TAG = 'otagai-outbox';

export function createSync({ appVersion, onStart, onDone }) {
  let running = null;
  let again = false;
  let timer = null;

  async function once(reason) {
    onStart?.(reason);
    const drained = await outbox.drain({ appVersion });
    const pulled = navigator.onLine === false ? 'offline' : await outbox.pull();
    return { reason, drained, pulled };
  }

  /** Run now; a request while running makes one more run afterwards (never two at once). */
  function now(reason) {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let report;
      let applied = 0;
      do {
        again = false;
        try {
          report = await once(reason);
        } catch (error) {
          report = { reason, error };
        }
        applied += report.drained?.applied ?? 0;
      } while (again);
      // What any run applied, not only the last (a write during a drain makes a second run
      // that finds nothing left: the screens must still hear that something was sent).
      if (report.drained) report = { ...report, drained: { ...report.drained, applied } };
      running = null;
      onDone?.(report);
      const wait = report.drained?.retryAfterMs;
      if (wait) soon('retry-after', Math.min(Math.max(wait, 1000), 5 * 60 * 1000));
      return report;
    })();
    return running;
  }

  function soon(reason, delay = DEBOUNCE_MS) {
    clearTimeout(timer);
    timer = setTimeout(() => now(reason), delay);
  }

  function start() {
    window.addEventListener('online', () => now('online'));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') now('visible');
    });
    setInterval(() => {
      if (document.visibilityState === 'visible') now('interval');
    }, INTERVAL_MS);
    navigator.serviceWorker?.addEventListener('message', (event) => {
      if (event.data?.type === 'drain') now(event.data.reason ?? 'service-worker');
    });
    return now('start');
  }

  /** After a local write: drain soon, and ask for Background Sync where the browser has it. */
  async function afterWrite() {
    soon('write');
    try {
      const registration = await navigator.serviceWorker?.getRegistration();
      await registration?.sync?.register(BACKGROUND_SYNC_TAG);
    } catch {
      // Background Sync is a bonus (Chromium only); the triggers above do not rely on it.
    }
  }

  return { now, soon, start, afterWrite };
}
