// The only module that touches IndexedDB (STYLE.md). Runs in windows and in the service worker.
//
// Everything is kept per user: a device shared by two residents never shows or sends one's
// data as the other's. Stores:
//   meta       'session' (who is signed in), 'device' (language…), 'user:<id>' (clientId, seq…)
//   outbox     queued actions, key mutationId, ordered by [userId, seq]
//   sent       answered actions, kept to re-send after a server restore (SYNC.md case 13)
//   attention  rejected actions the resident has to see ("needs attention")
//   entities   the last pull, key [userId, entityType, entityId]
// and in `meta`, 'fetched:<userId>:<name>': the last answer of an online-only read (roles,
// a roll-call, a shelter's status) with the time it was fetched, so those screens render offline.

import { openDB } from '../vendor/idb.js';

const NAME = 'otagai';
const VERSION = 1;
const KEEP_SENT_MS = 180 * 24 * 3600 * 1000; // as long as the server keeps its mutation log

let opened = null;

function database() {
  if (!opened) {
    opened = openDB(NAME, VERSION, {
      upgrade(db) {
        db.createObjectStore('meta');
        db.createObjectStore('outbox', { keyPath: 'mutationId' })
          .createIndex('byUserSeq', ['userId', 'seq']);
        const sent = db.createObjectStore('sent', { keyPath: 'mutationId' });
        sent.createIndex('byUserSeq', ['userId', 'seq']);
        db.createObjectStore('attention', { keyPath: 'mutationId' }).createIndex('byUser', 'userId');
        db.createObjectStore('entities', { keyPath: ['userId', 'entityType', 'entityId'] })
          .createIndex('byUser', 'userId');
      },
      blocking() {
        // A newer version of the app wants to upgrade the database: let it.
        opened?.then((db) => db.close());
        opened = null;
      },
    });
  }
  return opened;
}

const userRange = (userId) => IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);

function newUserState(userId) {
  return {
    userId, clientId: crypto.randomUUID(), nextSeq: 1, serverEpoch: null,
    cursor: null, lastPulledAt: null, batchSize: 100, clockOffsetMs: 0,
  };
}

async function userState(tx, userId) {
  const meta = tx.objectStore('meta');
  let state = await meta.get(`user:${userId}`);
  if (!state) {
    state = newUserState(userId);
    await meta.put(state, `user:${userId}`);
  }
  return state;
}

// -- session and device ------------------------------------------------------------------

export async function getSession() {
  return (await (await database()).get('meta', 'session')) ?? null;
}

export async function setSession(session) {
  const db = await database();
  if (session) await db.put('meta', session, 'session');
  else await db.delete('meta', 'session');
}

/** 401: the token is gone, but the user (and their queue) stays until they sign in again. */
export async function pauseSession(userId) {
  const tx = (await database()).transaction('meta', 'readwrite');
  const session = await tx.store.get('session');
  if (session && session.userId === userId) {
    await tx.store.put({ ...session, token: null, needsSignIn: true }, 'session');
  }
  await tx.done;
}

export async function getDevice() {
  return (await (await database()).get('meta', 'device')) ?? {};
}

export async function updateDevice(patch) {
  const tx = (await database()).transaction('meta', 'readwrite');
  const device = (await tx.store.get('device')) ?? {};
  await tx.store.put({ ...device, ...patch }, 'device');
  await tx.done;
}

export async function getUserState(userId) {
  const tx = (await database()).transaction('meta', 'readwrite');
  const state = await userState(tx, userId);
  await tx.done;
  return state;
}

export async function updateUserState(userId, patch) {
  const tx = (await database()).transaction('meta', 'readwrite');
  const state = await userState(tx, userId);
  await tx.store.put({ ...state, ...patch }, `user:${userId}`);
  await tx.done;
}

// -- the outbox --------------------------------------------------------------------------

/** Queue an action; its seq is allocated in the same transaction that stores it. */
export async function enqueue(userId, action) {
  const tx = (await database()).transaction(['meta', 'outbox'], 'readwrite');
  const state = await userState(tx, userId);
  const item = { ...action, userId, seq: state.nextSeq };
  await tx.objectStore('meta').put({ ...state, nextSeq: state.nextSeq + 1 }, `user:${userId}`);
  await tx.objectStore('outbox').add(item);
  await tx.done;
  return item;
}

/** The session, the user's sync state and the head of their queue, read together. */
export async function nextBatch(limit) {
  const tx = (await database()).transaction(['meta', 'outbox'], 'readwrite');
  const session = await tx.objectStore('meta').get('session');
  if (!session?.userId) {
    await tx.done;
    return { session: null, state: null, items: [] };
  }
  const state = await userState(tx, session.userId);
  const items = await tx.objectStore('outbox').index('byUserSeq')
    .getAll(userRange(session.userId), Math.min(limit, state.batchSize));
  await tx.done;
  return { session, state, items };
}

export async function queued(userId) {
  return (await database()).getAllFromIndex('outbox', 'byUserSeq', userRange(userId));
}

/** Pending actions: this user's, and other users' of this device (never sent as this user). */
export async function pendingCounts(userId) {
  const db = await database();
  const all = await db.count('outbox');
  const mine = userId ? await db.countFromIndex('outbox', 'byUserSeq', userRange(userId)) : 0;
  return { mine, others: all - mine };
}

/**
 * Take the final results of a push: answered actions leave the queue for `sent`, rejected ones
 * go to `attention`, all in one transaction so a crash cannot lose or repeat any of them.
 */
export async function absorb(userId, { serverEpoch, clockOffsetMs, answered, rejected }) {
  const tx = (await database()).transaction(['meta', 'outbox', 'sent', 'attention'], 'readwrite');
  const state = await userState(tx, userId);
  await tx.objectStore('meta').put({ ...state, serverEpoch, clockOffsetMs }, `user:${userId}`);
  const now = new Date().toISOString();
  for (const [mutationId, result] of answered) {
    const item = await tx.objectStore('outbox').get(mutationId);
    if (!item) continue;
    await tx.objectStore('outbox').delete(mutationId);
    await tx.objectStore('sent').put({ ...item, result, answeredAt: now });
    if (rejected.has(mutationId)) {
      await tx.objectStore('attention').put({
        mutationId, userId, action: item.action, args: item.args, clientTime: item.clientTime,
        status: result.status, code: result.code ?? null, message: result.message ?? '', at: now,
      });
    }
  }
  await tx.done;
}

export async function setBatchSize(userId, batchSize) {
  await updateUserState(userId, { batchSize });
}

/**
 * The server was restored from a backup (CLIENT_STATE_RESET): a new clientId, and everything
 * still held, answered or not, re-sent in its first order. Duplicates are recognised by
 * mutationId, so nothing is doubled; what the restore lost is sent again.
 */
export async function reregister(userId, serverEpoch, { includeSent = true } = {}) {
  const tx = (await database()).transaction(['meta', 'outbox', 'sent', 'entities'], 'readwrite');
  const state = await userState(tx, userId);
  const outbox = tx.objectStore('outbox');
  const sent = tx.objectStore('sent');
  const held = await outbox.index('byUserSeq').getAll(userRange(userId));
  const answered = includeSent ? await sent.index('byUserSeq').getAll(userRange(userId)) : [];
  const everything = [...answered, ...held].sort(
    (a, b) => a.seq - b.seq || (a.mutationId < b.mutationId ? -1 : 1),
  );
  for (const item of answered) await sent.delete(item.mutationId);
  let seq = 0;
  for (const item of everything) {
    const { result, answeredAt, ...queuedItem } = item;
    seq += 1;
    await outbox.put({ ...queuedItem, seq });
  }
  const reset = { ...state, clientId: crypto.randomUUID(), nextSeq: seq + 1 };
  if (includeSent) Object.assign(reset, { serverEpoch, cursor: null, lastPulledAt: null });
  await tx.objectStore('meta').put(reset, `user:${userId}`);
  if (includeSent) await clearEntitiesIn(tx, userId);
  await tx.done;
}

export async function pruneSent(userId, now = Date.now()) {
  const tx = (await database()).transaction('sent', 'readwrite');
  let cursor = await tx.store.index('byUserSeq').openCursor(userRange(userId));
  while (cursor) {
    if (now - Date.parse(cursor.value.answeredAt) > KEEP_SENT_MS) await cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.done;
}

// -- needs attention ---------------------------------------------------------------------

export async function attention(userId) {
  const items = await (await database()).getAllFromIndex('attention', 'byUser', userId);
  return items.sort((a, b) => (a.at < b.at ? 1 : -1));
}

export async function dismissAttention(mutationId) {
  await (await database()).delete('attention', mutationId);
}

// -- the replica of the last pull ---------------------------------------------------------

async function clearEntitiesIn(tx, userId) {
  let cursor = await tx.objectStore('entities').index('byUser').openCursor(userId);
  while (cursor) {
    await cursor.delete();
    cursor = await cursor.continue();
  }
}

export async function resetReplica(userId) {
  const tx = (await database()).transaction(['meta', 'entities'], 'readwrite');
  const state = await userState(tx, userId);
  await clearEntitiesIn(tx, userId);
  await tx.objectStore('meta').put({ ...state, cursor: null }, `user:${userId}`);
  await tx.done;
}

/** One page of a pull, stored with its cursor in one transaction. */
export async function applyChanges(userId, { changes, cursor, hasMore, serverEpoch }) {
  const tx = (await database()).transaction(['meta', 'entities'], 'readwrite');
  const state = await userState(tx, userId);
  const entities = tx.objectStore('entities');
  for (const change of changes) {
    const key = [userId, change.entityType, change.entityId];
    if (change.op === 'DELETE') {
      await entities.delete(key);
    } else {
      await entities.put({
        userId, entityType: change.entityType, entityId: change.entityId,
        version: change.version, data: change.data ?? {},
      });
    }
  }
  const patch = { cursor, pullEpoch: serverEpoch };
  if (!hasMore) patch.lastPulledAt = new Date().toISOString();
  await tx.objectStore('meta').put({ ...state, ...patch }, `user:${userId}`);
  await tx.done;
}

export async function entities(userId) {
  return (await database()).getAllFromIndex('entities', 'byUser', userId);
}

// -- the last answers of online reads ------------------------------------------------------

const fetchedRange = (userId) => IDBKeyRange.bound(`fetched:${userId}:`, `fetched:${userId}:\uffff`);

export async function getFetched(userId, name) {
  return (await (await database()).get('meta', `fetched:${userId}:${name}`)) ?? null;
}

export async function putFetched(userId, name, data) {
  const record = { data, fetchedAt: new Date().toISOString() };
  await (await database()).put('meta', record, `fetched:${userId}:${name}`);
  return record;
}

export async function forgetUser(userId) {
  const tx = (await database()).transaction(['meta', 'entities'], 'readwrite');
  await clearEntitiesIn(tx, userId);
  await tx.objectStore('meta').delete(fetchedRange(userId));
  const state = await tx.objectStore('meta').get(`user:${userId}`);
  if (state) {
    await tx.objectStore('meta').put({ ...state, cursor: null, lastPulledAt: null }, `user:${userId}`);
  }
  await tx.done;
}
