// Signing in and out. The queue belongs to the user who made it: signing in as someone else
// never sends it, and a 401 only pauses it until the same user signs in again (SYNC.md).

import * as db from './db.js';
import { graphql } from '../api/client.js';
import { Login, Logout, Register } from '../api/operations.js';

function authOutcome(reply, field) {
  if (reply.status === 0) return { ok: false, code: 'OFFLINE' };
  const result = reply.body?.data?.[field];
  if (reply.status !== 200 || !result) return { ok: false, code: 'SERVER' };
  if (result.__typename === 'AuthError') return { ok: false, code: result.code, message: result.message };
  return { ok: true, token: result.token, userId: result.user.id };
}

async function start(outcome, { email, displayName }) {
  if (!outcome.ok) return outcome;
  const previous = await db.getSession();
  await db.setSession({
    userId: outcome.userId, token: outcome.token, email,
    displayName: displayName ?? (previous?.userId === outcome.userId ? previous.displayName : null),
    needsSignIn: false, signedInAt: new Date().toISOString(),
  });
  await db.getUserState(outcome.userId); // a clientId of their own from the first launch on
  return { ...outcome, sameUser: previous?.userId === outcome.userId, previousUserId: previous?.userId ?? null };
}

export async function register({ email, password, displayName, locale }) {
  const reply = await graphql(Register, { input: { email, password, displayName, locale } });
  return start(authOutcome(reply, 'register'), { email, displayName });
}

export async function signIn({ email, password }) {
  const reply = await graphql(Login, { input: { email, password } });
  return start(authOutcome(reply, 'login'), { email });
}

/** Sign out: the token is revoked when the server can be reached; the queue is kept. */
export async function signOut() {
  const session = await db.getSession();
  if (!session) return;
  if (session.token) await graphql(Logout, {}, session.token);
  const { mine } = await db.pendingCounts(session.userId);
  if (!mine) await db.forgetUser(session.userId); // nothing left to send: forget their data here
  await db.setSession(null);
}

export const getSession = db.getSession;
