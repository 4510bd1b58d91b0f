// The outbox (SYNC.md "The PWA outbox"): queue, drain and pull. Runs in windows and in the
// service worker (Background Sync), so nothing here touches the DOM. The behaviour follows
// tests/support/client.py, the reference implementation the server's tests drive.

import * as db from './db.js';
import { graphql } from '../api/client.js';
import { Pull, Push } from '../api/operations.js';

const FINAL = new Set(['APPLIED', 'DUPLICATE', 'REJECTED', 'CONFLICT_RESOLVED']);
const MAX_BATCH = 100; // the server's limit per push
const PULL_PAGE = 200;
const MAX_PULL_PAGES = 200;

// Other windows and the service worker hear about every change of the queue or the replica.
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('otagai') : null;
const listeners = new Set();

export function onChange(listener) {
  listeners.add(listener);
  if (channel) channel.onmessage = (event) => listeners.forEach((l) => l(event.data));
  return () => listeners.delete(listener);
}

function changed(what) {
  const message = { type: 'changed', what };
  channel?.postMessage(message);
  listeners.forEach((l) => l(message));
}

/** A UUIDv7 (time-ordered) mutationId: the global idempotency key. */
export function uuidv7(now = Date.now()) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Queue one action for the signed-in user (also while the sign-in is paused by a 401). */
export async function enqueue(action, args, { argsVersion = 1 } = {}) {
  const session = await db.getSession();
  if (!session?.userId) throw new Error('Sign in before queueing an action');
  const item = await db.enqueue(session.userId, {
    mutationId: uuidv7(), clientTime: new Date().toISOString(), argsVersion, action, args,
  });
  changed('outbox');
  return item;
}

/** Ask for persistent storage once, so the browser does not evict a queue under pressure. */
export async function requestPersistence() {
  const device = await db.getDevice();
  if (device.persistRequested || !navigator.storage?.persist) return device.persisted ?? null;
  let persisted = false;
  try {
    persisted = await navigator.storage.persist();
  } catch {
    persisted = false;
  }
  await db.updateDevice({ persistRequested: true, persisted });
  return persisted;
}

// -- drain -------------------------------------------------------------------------------

function withLock(name, task) {
  // One context drains at a time, across windows and the service worker. Web Locks are in every
  // current browser; without them a second drain is still safe (duplicates are recognised).
  if (navigator.locks?.request) return navigator.locks.request(name, task);
  return task();
}

function envelope(item) {
  return {
    mutationId: item.mutationId, seq: item.seq, clientTime: item.clientTime,
    argsVersion: item.argsVersion, args: { [item.action]: item.args },
  };
}

/** One push reply: anything but a well-formed payload leaves the batch queued. */
async function absorb(userId, items, reply) {
  if (reply.status === 0) return { outcome: 'offline' };
  if (reply.status === 401) {
    await db.pauseSession(userId);
    return { outcome: 'unauthenticated' };
  }
  if (reply.status === 413) return { outcome: 'too-large' };
  if (reply.status === 403) return { outcome: 'forbidden' };
  if (reply.status !== 200) return { outcome: `http-${reply.status}`, retryAfterMs: reply.retryAfterMs };
  const body = reply.body;
  const payload = body && typeof body === 'object' ? body.data?.push : null;
  if (!body || body.errors || !payload || !Array.isArray(payload.results)) return { outcome: 'malformed' };
  if (payload.state === 'CLIENT_STATE_RESET') {
    await db.reregister(userId, payload.serverEpoch);
    return { outcome: 'progress' };
  }
  if (payload.state === 'VERSION_NOT_SUPPORTED') return { outcome: 'version-not-supported' };
  const ours = new Set(items.map((i) => i.mutationId));
  const answered = new Map();
  const rejected = new Set();
  for (const result of payload.results) {
    if (!FINAL.has(result.status) || !ours.has(result.mutationId)) continue;
    answered.set(result.mutationId, result);
    // A replayed rejection whose first reply was lost comes back as a DUPLICATE with its code.
    if (result.status === 'REJECTED' || (result.status === 'DUPLICATE' && result.code)) {
      rejected.add(result.mutationId);
    }
  }
  await db.absorb(userId, {
    serverEpoch: payload.serverEpoch, clockOffsetMs: payload.clockOffsetMs, answered, rejected,
  });
  if (answered.size) changed(rejected.size ? 'attention' : 'outbox');
  if (payload.results.some((r) => r.status === 'NOT_PROCESSED')) {
    return { outcome: 'not-processed', retryAfterMs: payload.retryAfterMs ?? null, answered: answered.size };
  }
  return { outcome: answered.size ? 'progress' : 'stuck', answered: answered.size };
}

/**
 * Send the signed-in user's queue in seq order until it is empty or something stops it.
 * Returns {stoppedBecause, sent, applied, retryAfterMs}.
 */
export function drain({ appVersion }) {
  return withLock('otagai-outbox', async () => {
    const report = { stoppedBecause: 'empty', sent: 0, applied: 0, retryAfterMs: null };
    let rotated = false;
    for (;;) {
      const { session, state, items } = await db.nextBatch(MAX_BATCH);
      if (!session) return { ...report, stoppedBecause: 'signed-out' };
      if (!items.length) return report;
      if (!session.token || session.needsSignIn) return { ...report, stoppedBecause: 'paused' };
      if (typeof navigator.onLine === 'boolean' && !navigator.onLine) {
        return { ...report, stoppedBecause: 'offline' };
      }
      const input = {
        clientId: state.clientId, serverEpoch: state.serverEpoch, appVersion,
        sentAt: new Date().toISOString(), mutations: items.map(envelope),
      };
      const reply = await graphql(Push, { input }, session.token);
      report.sent += 1;
      const result = await absorb(session.userId, items, reply);
      report.applied += result.answered ?? 0;
      if (result.outcome === 'progress') continue;
      if (result.outcome === 'too-large' && state.batchSize > 1) {
        await db.setBatchSize(session.userId, Math.max(1, Math.floor(state.batchSize / 2)));
        continue;
      }
      if (result.outcome === 'forbidden' && !rotated) {
        // The clientId belongs to someone else on the server (a copied profile): take a new one.
        rotated = true;
        await db.reregister(session.userId, state.serverEpoch, { includeSent: false });
        continue;
      }
      if (result.outcome === 'unauthenticated') changed('session');
      return { ...report, stoppedBecause: result.outcome, retryAfterMs: result.retryAfterMs ?? null };
    }
  });
}

// -- pull --------------------------------------------------------------------------------

/** Fetch every change since the stored cursor into the replica. Returns the outcome. */
export function pull() {
  return withLock('otagai-pull', async () => {
    const session = await db.getSession();
    if (!session?.userId) return 'signed-out';
    if (!session.token || session.needsSignIn) return 'paused';
    let { cursor } = await db.getUserState(session.userId);
    for (let page = 0; page < MAX_PULL_PAGES; page += 1) {
      const reply = await graphql(Pull, { input: { cursor, limit: PULL_PAGE } }, session.token);
      if (reply.status === 0) return 'offline';
      if (reply.status === 401) {
        await db.pauseSession(session.userId);
        changed('session');
        return 'unauthenticated';
      }
      const payload = reply.status === 200 && !reply.body?.errors ? reply.body?.data?.pull : null;
      if (!payload) return 'failed';
      if (payload.resetRequired) {
        await db.resetReplica(session.userId);
        cursor = null;
        continue;
      }
      await db.applyChanges(session.userId, payload);
      cursor = payload.cursor;
      if (!payload.hasMore) break;
    }
    changed('replica');
    return 'ok';
  });
}
