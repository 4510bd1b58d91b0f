// What the service worker makes of a push message (backend/push/texts.py writes it):
// {id, kind, title, body, tag, url}, already in the subscriber's language. The tag is the same
// for every delivery of the same thing, so a repeated delivery replaces the notification.

const APP_NAME = 'お互い様 Otagai';
const HOME = '/#/checkin';
const ICON = '/icons/icon-192.png';

/** The push message's JSON; a message that is not JSON still shows, as plain text. */
export function readMessage(data) {
  if (!data) return {};
  try {
    const message = data.json();
    return message && typeof message === 'object' ? message : {};
  } catch {
    return { body: data.text() };
  }
}

/** The screen a notification opens: a route of this app only, never another site. */
export function screenUrl(url, origin) {
  try {
    const target = new URL(url ?? HOME, origin);
    if (target.origin === origin && target.pathname === '/' && target.hash.startsWith('#/')) return target.href;
  } catch {
    // not a URL: the home screen
  }
  return new URL(HOME, origin).href;
}

/** showNotification's arguments for a message. */
export function notificationOf(message, origin) {
  const text = (value) => (typeof value === 'string' ? value : '');
  return [text(message.title) || APP_NAME, {
    body: text(message.body),
    tag: text(message.tag) || undefined,
    data: { id: message.id ?? null, kind: message.kind ?? null, url: screenUrl(message.url, origin) },
    icon: ICON,
    badge: ICON,
  }];
}
