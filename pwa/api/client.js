// The only module that calls fetch (STYLE.md). Runs in windows and in the service worker.
//
// Nothing here throws for a network or server failure: callers get {status, body} and decide.
// status 0 means the request never got an answer (offline, DNS, connection reset).

const GRAPHQL_URL = '/graphql';
const TIMEOUT_MS = 20000;

function retryAfterMs(response) {
  const value = response.headers.get('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

async function send(url, init) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null; // not JSON: the caller treats it as malformed
    }
    return { status: response.status, body, retryAfterMs: retryAfterMs(response) };
  } catch {
    return { status: 0, body: null, retryAfterMs: null };
  } finally {
    clearTimeout(timer);
  }
}

/** One GraphQL operation over HTTP POST; the token is attached here, at send time. */
export function graphql(query, variables, token) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return send(GRAPHQL_URL, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
    credentials: 'omit',
  });
}

/**
 * One GraphQL subscription over WebSocket (graphql-transport-ws, on the same path as HTTP).
 * The token goes in connection_init. `onData(data)` for each result; `onClose(reason)` once,
 * when the socket closes for any reason (the caller decides whether to poll or reconnect).
 * Returns a function that ends the subscription.
 */
export function subscribe(query, variables, token, { onData, onOpen, onClose }) {
  const url = new URL(GRAPHQL_URL, self.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let socket;
  let closed = false;
  const finish = (reason) => {
    if (closed) return;
    closed = true;
    try {
      socket?.close(1000);
    } catch {
      // already closing
    }
    onClose?.(reason);
  };
  try {
    socket = new WebSocket(url.href, 'graphql-transport-ws');
  } catch {
    setTimeout(() => finish('unavailable'), 0);
    return () => {};
  }
  socket.onopen = () => socket.send(JSON.stringify({
    type: 'connection_init', payload: token ? { Authorization: `Bearer ${token}` } : {},
  }));
  socket.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      onOpen?.();
    } else if (message.type === 'ping') {
      socket.send(JSON.stringify({ type: 'pong' }));
    } else if (message.type === 'next' && message.payload?.data) {
      onData(message.payload.data);
    } else if (message.type === 'error' || message.type === 'complete') {
      finish(message.type);
    }
  };
  socket.onerror = () => finish('error');
  socket.onclose = (event) => finish(event.code === 4401 || event.code === 4403 ? 'unauthenticated' : 'closed');
  return () => finish('ended');
}

/**
 * A static JSON file of the app: message catalogues (from the SW cache when offline), or with
 * `fresh` a file that must come from the server itself (the latest version's name).
 */
export async function getJson(url, { fresh = false } = {}) {
  const reply = await send(url, { method: 'GET', credentials: 'same-origin', cache: fresh ? 'no-store' : 'default' });
  return reply.status === 200 ? reply.body : null;
}

/** The network, for the service worker's cache misses. */
export function network(request) {
  return fetch(request);
}
