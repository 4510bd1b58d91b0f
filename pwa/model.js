// What the screens show, derived from the last pull and the queue (pure functions, no I/O).
// Queued actions are laid over the pulled data, so a change made offline shows at once.

export const CONDITIONS = ['SAFE', 'NEED_HELP'];
export const PLACES = ['HOME', 'SHELTER'];
export const NEEDS = ['MEDICAL', 'MOBILITY', 'MEDICATION', 'FOOD', 'WATER', 'BABY_SUPPLIES', 'LANGUAGE', 'OTHER'];
export const VISIBILITY_DEFAULTS = {
  household: true, leaders: true, shelterStaff: true, publicSearch: false, exactLocation: false,
};
// Languages a resident speaks (Profile.languages), each named in itself.
export const SPOKEN_LANGUAGES = [
  ['ja', '日本語'], ['en', 'English'], ['zh-Hans', '中文（简体）'], ['ko', '한국어'], ['vi', 'Tiếng Việt'],
  ['ne', 'नेपाली'], ['pt', 'Português'], ['tl', 'Tagalog'], ['id', 'Bahasa Indonesia'], ['th', 'ไทย'],
  ['es', 'Español'], ['fr', 'Français'],
];
export const COMMENT_MAX = 100;

export function byType(entities) {
  const types = {};
  for (const e of entities) (types[e.entityType] ??= new Map()).set(e.entityId, e);
  return types;
}

function dropNulls(object) {
  return Object.fromEntries(Object.entries(object ?? {}).filter(([, v]) => v !== null && v !== undefined));
}

export function profile(types, userId, queue, session) {
  const pulled = types.Profile?.get(userId)?.data ?? {};
  let merged = { displayName: session?.displayName ?? '', locale: 'ja', languages: [], ...dropNulls(pulled) };
  const pending = queue.filter((q) => q.action === 'updateProfile');
  for (const item of pending) merged = { ...merged, ...dropNulls(item.args) };
  return { ...merged, pending: pending.length > 0 };
}

export function visibility(types, userId, queue) {
  const pulled = types.SafetyVisibility?.get(userId)?.data ?? {};
  let merged = { ...VISIBILITY_DEFAULTS, ...dropNulls(pulled) };
  const pending = queue.filter((q) => q.action === 'setSafetyVisibility');
  for (const item of pending) merged = { ...merged, ...dropNulls(item.args) };
  return { ...merged, pending: pending.length > 0 };
}

export function openIncidents(types) {
  return [...(types.Incident?.values() ?? [])]
    .map((e) => e.data)
    .filter((i) => !i.closedAt)
    .sort((a, b) => (a.openedAt < b.openedAt ? 1 : -1));
}

/** People the resident may report for: those the server lets them see, except themselves. */
export function otherPeople(types, userId) {
  return [...(types.Person?.values() ?? [])]
    .map((e) => e.data)
    .filter((p) => p.id && p.id !== userId)
    .sort((a, b) => (a.displayName ?? '').localeCompare(b.displayName ?? '', 'ja'));
}

export function distanceMeters(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2
    + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

/**
 * Shelters for the picker: open ones first (nearest first when the position is known),
 * then, when asked, every other site. A check-in at an unopened site is still accepted.
 */
export function shelters(types, incidentId, { position = null, query = '', showAll = false } = {}) {
  const openings = types.ShelterOpening ?? new Map();
  const needle = query.trim().toLowerCase();
  const rows = [...(types.Shelter?.values() ?? [])].map((e) => {
    const s = e.data;
    const isOpen = openings.get(`${s.id}:${incidentId}`)?.data?.status === 'OPEN';
    const distance = position && Number.isFinite(s.lat) ? distanceMeters(position, s) : null;
    return { ...s, isOpen, distance };
  }).filter((s) => (showAll || s.isOpen)
    && (!needle || `${s.name} ${s.nameKana ?? ''} ${s.address ?? ''}`.toLowerCase().includes(needle)));
  rows.sort((a, b) => (b.isOpen - a.isOpen)
    || (a.distance ?? Infinity) - (b.distance ?? Infinity)
    || (a.nameKana || a.name).localeCompare(b.nameKana || b.name, 'ja'));
  return rows;
}

export function shelterCount(types) {
  return types.Shelter?.size ?? 0;
}

/** The resident's status in an incident: a queued check-in first, else the server's. */
export function myStatus(types, userId, incidentId, queue) {
  const queuedMine = queue.filter((q) => q.action === 'checkIn'
    && q.args.incidentId === incidentId && !q.args.subjectId);
  if (queuedMine.length) {
    const last = queuedMine[queuedMine.length - 1];
    return { ...last.args, reportedAt: last.clientTime, pending: true };
  }
  const status = types.SafetyStatus?.get(`${incidentId}:${userId}`)?.data;
  return status ? { ...status, pending: false } : null;
}

export function pendingCheckIns(queue) {
  return queue.filter((q) => q.action === 'checkIn').length;
}
