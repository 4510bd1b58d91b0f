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

// Japanese order for names and places: one collator for every sort (comparing strings with a
// locale argument builds a new one on each call, ten times slower, on every screen drawn).
const collator = new Intl.Collator('ja');
export const inJapaneseOrder = (a, b) => collator.compare(a ?? '', b ?? '');

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
    .sort((a, b) => inJapaneseOrder(a.displayName, b.displayName));
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
    || inJapaneseOrder(a.nameKana || a.name, b.nameKana || b.name));
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

// -- safety screens: roles, roll-call, shelter reception, household -------------------------

const URGENCY = ['DECEASED', 'INJURED', 'NEED_HELP', 'MISSING', 'SAFE']; // as the server ranks them
export const CROWDING = ['EMPTY', 'HALF', 'CROWDED', 'FULL', 'UNKNOWN'];

export function mostUrgent(conditions) {
  const known = conditions.filter(Boolean);
  if (!known.length) return null;
  return known.reduce((a, b) => (URGENCY.indexOf(a) <= URGENCY.indexOf(b) ? a : b));
}

/** The scopes (association or shelter ids) of one role, from the last `me` fetched. */
export function scopesOf(roles, role) {
  return (roles?.data?.roles ?? []).filter((r) => r.role === role && r.scopeId).map((r) => r.scopeId);
}

export function associationName(types, id) {
  return types.Association?.get(id)?.data?.name ?? null;
}

export function shelterName(types, id) {
  return types.Shelter?.get(id)?.data?.name ?? null;
}

function queuedCheckIns(queue, incidentId) {
  return queue.filter((q) => q.action === 'checkIn' && q.args.incidentId === incidentId && q.args.subjectId);
}

/**
 * The door-knock list: households that have not answered first, each group in the server's
 * street order. The last roll-call fetched is brought up to date with what the replica and the
 * queue know: a member's pulled status, or an in-person check recorded here and not yet sent.
 */
export function rollCallRows(types, record, incidentId, queue) {
  const queued = queuedCheckIns(queue, incidentId);
  const rows = (record?.data?.households ?? []).map((h, order) => {
    const memberIds = types.Household?.get(h.id)?.data?.memberIds ?? [];
    const mine = queued.filter((q) => memberIds.includes(q.args.subjectId));
    const pulled = memberIds.map((id) => types.SafetyStatus?.get(`${incidentId}:${id}`)?.data?.condition);
    let { answered } = h;
    let condition = h.latestCondition ?? null;
    const pending = mine.length > 0;
    if (pending) {
      answered = true;
      condition = mostUrgent([condition, ...mine.map((q) => q.args.condition)]);
    } else if (pulled.some(Boolean)) {
      answered = true;
      condition = mostUrgent([condition, ...pulled]);
    }
    return { ...h, order, memberIds, answered, condition, pending };
  });
  rows.sort((a, b) => (a.answered - b.answered) || (a.order - b.order));
  return rows;
}

/** People registered at reception here and not yet sent (name and the check-in queued). */
export function queuedArrivals(queue, shelterId, incidentId) {
  const names = new Map(queue.filter((q) => q.action === 'registerPerson').map((q) => [q.args.id, q.args.displayName]));
  return queuedCheckIns(queue, incidentId)
    .filter((q) => q.args.shelterId === shelterId)
    .map((q) => ({ id: q.args.subjectId, displayName: names.get(q.args.subjectId) ?? null, condition: q.args.condition }));
}

/** The resident's households with every member's name and status in an incident. */
export function myHouseholds(types, userId, incidentId, queue, myName) {
  const queued = queuedCheckIns(queue, incidentId);
  const statusOf = (personId) => {
    const mine = queued.filter((q) => q.args.subjectId === personId);
    if (mine.length) return { condition: mine[mine.length - 1].args.condition, pending: true };
    const pulled = types.SafetyStatus?.get(`${incidentId}:${personId}`)?.data;
    return pulled ? { condition: pulled.condition, reportedAt: pulled.reportedAt, pending: false } : null;
  };
  const ownStatus = () => {
    const own = queue.filter((q) => q.action === 'checkIn' && q.args.incidentId === incidentId && !q.args.subjectId);
    if (own.length) return { condition: own[own.length - 1].args.condition, pending: true };
    return statusOf(userId);
  };
  return [...(types.Household?.values() ?? [])].map((e) => e.data)
    .filter((h) => (h.memberIds ?? []).includes(userId))
    .map((h) => {
      const members = h.memberIds.map((id) => {
        const person = types.Person?.get(id)?.data;
        const isMe = id === userId;
        return {
          id, isMe, displayName: isMe ? myName : person?.displayName ?? null,
          hasAccount: isMe || person?.hasAccount !== false, birthYear: person?.birthYear ?? null,
          status: incidentId ? (isMe ? ownStatus() : statusOf(id)) : null,
        };
      });
      const adding = queue.filter((q) => q.action === 'registerPerson' && q.args.householdId === h.id
        && !h.memberIds.includes(q.args.id))
        .map((q) => ({
          id: q.args.id, isMe: false, displayName: q.args.displayName, hasAccount: false,
          birthYear: q.args.birthYear ?? null, adding: true, status: incidentId ? statusOf(q.args.id) : null,
        }));
      members.sort((a, b) => (b.isMe - a.isMe) || inJapaneseOrder(a.displayName, b.displayName));
      return { ...h, members: [...members, ...adding] };
    })
    .sort((a, b) => inJapaneseOrder(a.label, b.label));
}

/** Associations the resident is a member of (pulled), for making a household of their own. */
export function myAssociations(types) {
  return [...(types.Association?.values() ?? [])].map((e) => e.data)
    .sort((a, b) => inJapaneseOrder(a.name, b.name));
}
