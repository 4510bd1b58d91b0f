// Reads that only the server can answer (my roles, a roll-call, a shelter's status): fetched
// when the network is there and kept in IndexedDB, so the screens still render offline with
// the time of that answer. A shelter's status also comes live over a WebSocket subscription,
// and by polling while the socket is down.

import * as db from './outbox/db.js';
import { graphql, subscribe } from './api/client.js';
import { CircularReceipts, Listings, Me, RollCall, ShelterStatus, ShelterStatusChanged } from './api/operations.js';

const POLL_MS = 10000;
const RECONNECT_MS = 15000;

export const rollCallKey = (associationId, incidentId) => `rollcall:${associationId}:${incidentId}`;
export const shelterKey = (shelterId, incidentId) => `shelter:${shelterId}:${incidentId}`;
export const receiptsKey = (postId) => `receipts:${postId}`;
export const LISTINGS_KEY = 'listings';

export async function cached(name) {
  const session = await db.getSession();
  return session?.userId ? db.getFetched(session.userId, name) : null;
}

/**
 * One question (or online-only mutation) to the server as the signed-in user. Returns
 * {outcome, data, userId}: outcome is 'ok', 'offline', 'paused' (sign in again), 'forbidden'
 * (not this user's to see or do) or 'failed'; data is the answer's `field`.
 */
export async function ask(query, variables, field) {
  const session = await db.getSession();
  if (!session?.userId || !session.token || session.needsSignIn) return { outcome: 'paused' };
  if (navigator.onLine === false) return { outcome: 'offline' };
  const reply = await graphql(query, variables, session.token);
  if (reply.status === 0) return { outcome: 'offline' };
  if (reply.status === 401) {
    await db.pauseSession(session.userId);
    return { outcome: 'paused' };
  }
  const codes = (reply.body?.errors ?? []).map((e) => e.extensions?.code);
  if (codes.includes('FORBIDDEN')) return { outcome: 'forbidden' };
  if (reply.status !== 200) return { outcome: 'failed' };
  return { outcome: 'ok', data: reply.body?.data?.[field] ?? null, userId: session.userId };
}

/** Keep an answer for the signed-in user (read back offline with `cached`). */
export async function keep(name, data) {
  const session = await db.getSession();
  return session?.userId ? db.putFetched(session.userId, name, data) : null;
}

/**
 * Ask the server and keep the answer. Returns {outcome, record}: outcome as `ask`, and
 * 'failed' when the answer is empty.
 */
async function fetchAndKeep(name, query, variables, field, keepAs = (data) => data) {
  const result = await ask(query, variables, field);
  if (result.outcome !== 'ok') return { outcome: result.outcome };
  if (!result.data) return { outcome: 'failed' };
  return { outcome: 'ok', record: await db.putFetched(result.userId, name, keepAs(result.data)) };
}

export function fetchRoles() {
  return fetchAndKeep('me', Me, {}, 'me');
}

export function fetchRollCall(associationId, incidentId) {
  return fetchAndKeep(rollCallKey(associationId, incidentId), RollCall, { associationId, incidentId }, 'rollCall');
}

/** The counts of a circular and the households that have not read it yet (leaders only). */
export function fetchReceipts(postId) {
  return fetchAndKeep(receiptsKey(postId), CircularReceipts, { postId, unreadOnly: true }, 'circularReceipts');
}

/** Requests and offers nearest a point, kept with the point they were asked for. */
export function fetchListings(near, source) {
  return fetchAndKeep(LISTINGS_KEY, Listings, { near, first: 50 }, 'listings',
    (data) => ({ near, source, listings: data.edges.map((e) => e.node) }));
}

/** `people`: how many of the people present to list (most urgent first); null for everyone. */
export function fetchShelterStatus(shelterId, incidentId, people) {
  return fetchAndKeep(shelterKey(shelterId, incidentId), ShelterStatus, { shelterId, incidentId, people }, 'shelterStatus');
}

/**
 * Follow a shelter's status: the subscription while the socket is up ('live'), polling every
 * 10 s while it is down ('polling'), nothing while offline ('offline'). `onRecord` gets each
 * new answer (already kept), `onMode` each change of mode. Returns a function that stops it.
 */
export function watchShelter(shelterId, incidentId, { people, onRecord, onMode, onForbidden }) {
  let stopped = false;
  let live = false;
  let unsubscribe = null;
  let pollTimer = null;
  let retryTimer = null;
  const name = shelterKey(shelterId, incidentId);

  async function poll() {
    clearTimeout(pollTimer);
    if (stopped) return;
    const result = await fetchShelterStatus(shelterId, incidentId, people);
    if (stopped) return;
    if (result.outcome === 'ok') onRecord(result.record);
    if (result.outcome === 'forbidden') {
      onForbidden?.();
      return;
    }
    if (live) return;
    onMode(navigator.onLine === false ? 'offline' : 'polling');
    pollTimer = setTimeout(poll, POLL_MS);
  }

  async function connect() {
    clearTimeout(retryTimer);
    if (stopped || unsubscribe) return;
    const session = await db.getSession();
    if (stopped || !session?.token || session.needsSignIn || navigator.onLine === false) {
      retryTimer = setTimeout(connect, RECONNECT_MS);
      return;
    }
    unsubscribe = subscribe(ShelterStatusChanged, { shelterId, incidentId, people }, session.token, {
      onOpen: () => {
        live = true;
        clearTimeout(pollTimer);
        onMode('live');
      },
      onData: async (data) => {
        if (stopped || !data.shelterStatusChanged) return;
        onRecord(await db.putFetched(session.userId, name, data.shelterStatusChanged));
      },
      onClose: () => {
        live = false;
        unsubscribe = null;
        if (stopped) return;
        poll();
        retryTimer = setTimeout(connect, RECONNECT_MS);
      },
    });
  }

  const online = () => {
    poll();
    connect();
  };
  // A socket can outlive the network for a while: end it, and poll (offline) until it is back.
  const offline = () => unsubscribe?.();
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);
  poll();
  connect();
  return () => {
    stopped = true;
    clearTimeout(pollTimer);
    clearTimeout(retryTimer);
    window.removeEventListener('online', online);
    window.removeEventListener('offline', offline);
    const end = unsubscribe;
    unsubscribe = null;
    end?.();
  };
}
