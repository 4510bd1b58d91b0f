// Web Push on this device (API.md "Web Push"): the browser's subscription, made with the
// server's VAPID key, and the server's copy of it with the UI language and the resident's
// choices. Online only and never queued: a subscription belongs to this device, and a queued
// one could reach the server after the browser had replaced it. Runs in windows and in the
// service worker (pushsubscriptionchange), so nothing here touches the DOM.

import * as reads from '../reads.js';
import {
  PushSubscription as PushSubscriptionQuery, SubscribePush, UnsubscribePush, VapidPublicKey,
} from '../api/operations.js';

export const CATEGORIES = ['EMERGENCY', 'IMPORTANT', 'CIRCULAR', 'INCIDENT', 'MARKET', 'SAFETY'];
const RECORD = 'push'; // the server's copy of this user's subscription on this device (reads.js)
const READY_MS = 10000;

const inWindow = typeof window === 'object';

/** What this browser can do: 'ok', 'install-first' (iPhone: from the home screen only) or 'unsupported'. */
export function support() {
  const able = 'serviceWorker' in navigator && 'PushManager' in self && 'Notification' in self;
  if (able) return 'ok';
  const apple = /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
  const installed = inWindow && (navigator.standalone || window.matchMedia?.('(display-mode: standalone)').matches);
  return apple && !installed ? 'install-first' : 'unsupported';
}

export function permission() {
  return 'Notification' in self ? Notification.permission : 'default';
}

/** The VAPID key (base64url) as the bytes PushManager.subscribe wants. */
export function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(subscription, bytes) {
  const current = subscription.options?.applicationServerKey;
  if (!current) return true; // not told: keep it
  const have = new Uint8Array(current);
  return have.length === bytes.length && have.every((b, i) => b === bytes[i]);
}

/** What subscribePush is sent: the subscription's endpoint and keys, the language, the choices. */
export function subscriptionInput(subscription, { locale, preferences = null }) {
  const { endpoint, keys } = subscription.toJSON();
  return { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth }, locale, preferences };
}

/** The choices of a server's copy, as PushPreferencesInput (null: the server's defaults). */
export function preferencesOf(record) {
  if (!record) return null;
  const quiet = record.quietHours;
  return {
    associationIds: record.associationIds ?? null,
    categories: record.categories ?? null,
    quietHours: quiet ? { start: quiet.start, end: quiet.end, timeZone: quiet.timeZone } : null,
  };
}

async function registration() {
  if (!inWindow) return self.registration;
  if (!navigator.serviceWorker) return null;
  const timeout = new Promise((resolve) => { setTimeout(() => resolve(null), READY_MS); });
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

/** The browser's subscription on this device, if any. */
export async function current() {
  if (support() !== 'ok') return null;
  const found = await (inWindow ? navigator.serviceWorker.getRegistration('/') : registration());
  return found ? found.pushManager.getSubscription() : null;
}

/** This user's record of the server's copy, when it is of this subscription. */
export async function known(subscription) {
  const record = await reads.cached(RECORD);
  return subscription && record?.data?.endpoint === subscription.endpoint ? record : null;
}

/** Give the server this subscription with the language and choices; {outcome, record, code}. */
export async function send(subscription, { locale, preferences = null }) {
  const input = subscriptionInput(subscription, { locale, preferences });
  const result = await reads.ask(SubscribePush, { input }, 'subscribePush');
  if (result.outcome !== 'ok') return { outcome: result.outcome };
  if (result.data?.__typename !== 'PushSubscription') {
    return { outcome: 'refused', code: result.data?.code ?? 'SERVER', message: result.data?.message ?? '' };
  }
  return { outcome: 'ok', record: await reads.keep(RECORD, result.data) };
}

/**
 * Turn notifications on (call it from the tap: browsers ask for permission only then).
 * Outcomes: 'ok', 'denied', 'dismissed', 'pushService' (the browser's push service refused
 * or is not there), 'offline', 'paused', 'refused' (the server said no, with its code), 'failed'.
 */
export async function subscribe({ locale, preferences = null }) {
  const answer = await Notification.requestPermission();
  if (answer === 'denied') return { outcome: 'denied' };
  if (answer !== 'granted') return { outcome: 'dismissed' };
  const key = await reads.ask(VapidPublicKey, {}, 'vapidPublicKey');
  if (key.outcome !== 'ok' || !key.data) return { outcome: key.outcome === 'ok' ? 'failed' : key.outcome };
  const bytes = keyBytes(key.data);
  const found = await registration();
  if (!found) return { outcome: 'failed' };
  let subscription = await found.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, bytes)) {
    await subscription.unsubscribe().catch(() => false); // made for another server key
    subscription = null;
  }
  if (!subscription) {
    try {
      subscription = await found.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes });
    } catch (error) {
      return { outcome: error?.name === 'NotAllowedError' ? 'denied' : 'pushService' };
    }
  }
  return send(subscription, { locale, preferences });
}

/**
 * Turn notifications off on this device. The browser's subscription goes at once, online or
 * not; a server that was not told is answered 404/410 by the push service and drops it then.
 */
export async function unsubscribe() {
  const subscription = await current();
  if (!subscription) return { outcome: 'ok', told: true };
  const told = await reads.ask(UnsubscribePush, { endpoint: subscription.endpoint }, 'unsubscribePush');
  await subscription.unsubscribe().catch(() => false);
  await reads.keep(RECORD, null);
  return { outcome: 'ok', told: told.outcome === 'ok' };
}

/**
 * After a start or a change of language: make sure the server holds this user's subscription
 * in the UI language (a server restored from a backup may have lost it). Only a subscription
 * this user turned on here is sent again: another resident's sign-in never takes it over.
 */
export async function refresh({ locale }) {
  if (permission() !== 'granted') return null;
  const subscription = await current();
  const record = await known(subscription);
  if (!record) return null;
  const asked = await reads.ask(PushSubscriptionQuery, { endpoint: subscription.endpoint }, 'pushSubscription');
  if (asked.outcome !== 'ok') return { outcome: asked.outcome, record };
  if (asked.data && asked.data.locale === locale) return { outcome: 'ok', record: await reads.keep(RECORD, asked.data) };
  return send(subscription, { locale, preferences: preferencesOf(asked.data ?? record.data) });
}

/**
 * After a sign-in: a subscription on this device that this user did not turn on here is
 * someone else's (signed out by a 401, not by hand). It goes, so that nobody is shown another
 * resident's notifications; the push service then tells that resident's server it is gone.
 */
export async function dropForeign() {
  const subscription = await current();
  if (subscription && !(await known(subscription))) await subscription.unsubscribe().catch(() => false);
}

/** The service worker's `pushsubscriptionchange`: the browser replaced the subscription. */
export async function renew(oldSubscription, newSubscription) {
  const record = await reads.cached(RECORD);
  if (!record?.data?.endpoint) return null; // nobody here turned notifications on
  let subscription = newSubscription ?? (await current());
  if (!subscription) {
    const key = oldSubscription?.options?.applicationServerKey
      ?? keyBytes((await reads.ask(VapidPublicKey, {}, 'vapidPublicKey')).data ?? '');
    subscription = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }
  if (record.data.endpoint !== subscription.endpoint) {
    await reads.ask(UnsubscribePush, { endpoint: record.data.endpoint }, 'unsubscribePush');
  }
  return send(subscription, { locale: record.data.locale, preferences: preferencesOf(record.data) });
}
