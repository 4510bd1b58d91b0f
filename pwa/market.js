// The controller of the help-each-other marketplace (助け合い掲示板): requests and offers near me
// (an online read kept for offline, reads.js), my listings and my claims from the replica with
// what is queued laid over them. Creating and claiming go through the outbox, online or not.

import { queuer } from './queue.js';
import * as reads from './reads.js';

export const KINDS = ['REQUEST', 'OFFER'];
export const CATEGORIES = ['WATER', 'FOOD', 'MEDICINE', 'DAILY_GOODS', 'CHARGING', 'TRANSPORT', 'SHOPPING_HELP',
  'CHILDCARE', 'ELDERLY_SUPPORT', 'LANGUAGE_HELP', 'OTHER'];
export const TITLE_MAX = 200;
export const BODY_MAX = 2000;
export const QUANTITY_MAX = 999;
// Where "near me" is when the phone's position is not known: the ward office (the demo ward,
// Toshima). The association's area is not on the replica, so it cannot be used offline.
export const WARD_CENTRE = { lat: 35.7263, lon: 139.7166 };
const REFETCH_MS = 60000;

const pulledOf = (types, type) => [...(types[type]?.values() ?? [])].map((e) => e.data);

const queuedFor = (queue, action, key, id) => queue.filter((q) => q.action === action && q.args[key] === id);

/**
 * A claim with what is queued about it laid over: a call-off, or my side of the hand-over
 * confirmed (handed over once both sides have). `mine` says which side I am on (pure).
 */
export function claimWithQueue(claim, queue, userId) {
  const side = claim.ownerId === userId ? 'ownerConfirmed' : 'claimerConfirmed';
  const other = side === 'ownerConfirmed' ? 'claimerConfirmed' : 'ownerConfirmed';
  const c = { ...claim };
  const confirming = queuedFor(queue, 'confirmHandover', 'claimId', claim.id).length > 0;
  const calling = queuedFor(queue, 'cancelClaim', 'claimId', claim.id).length > 0;
  if (confirming) {
    c[side] = true;
    if (c[other]) c.status = 'HANDED_OVER';
  }
  if (calling) c.status = 'CANCELLED';
  return {
    ...c, pending: Boolean(claim.pending || confirming || calling), iConfirmed: Boolean(c[side]),
    theyConfirmed: Boolean(c[other]), active: c.status === 'CLAIMED',
  };
}

/** A listing of mine with its queued withdrawal or edit laid over (pure). */
function listingWithQueue(listing, queue) {
  let l = listing;
  for (const q of queuedFor(queue, 'updateListing', 'id', listing.id)) {
    const { id, baseVersion, ...changes } = q.args;
    const claimed = l.quantity - l.quantityLeft;
    l = { ...l, ...changes, pending: true };
    if (changes.quantity !== undefined) l.quantityLeft = changes.quantity - claimed;
  }
  if (queuedFor(queue, 'withdrawListing', 'id', listing.id).length) l = { ...l, status: 'WITHDRAWN', pending: true };
  return l;
}

/** Listings of mine, pulled and queued, newest first (pure). */
export function myListings(types, userId, queue) {
  const pulled = [...(types.Listing?.values() ?? [])].filter((e) => e.data.ownerId === userId)
    .map((e) => listingWithQueue({ ...e.data, version: e.version, pending: false }, queue));
  const known = new Set(pulled.map((l) => l.id));
  const queued = queue.filter((q) => q.action === 'createListing' && !known.has(q.args.id))
    .map((q) => ({ ...q.args, quantityLeft: q.args.quantity, status: 'OPEN', createdAt: q.clientTime, pending: true, queued: true }));
  const claims = pulledOf(types, 'Claim');
  return [...pulled, ...queued]
    .map((l) => ({
      ...l, editable: !l.queued && ['OPEN', 'CLAIMED'].includes(l.status),
      claims: claims.filter((c) => c.listingId === l.id && c.status !== 'CANCELLED').map((c) => claimWithQueue(c, queue, userId)),
    }))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

/** Claims of mine, pulled and queued (pure). A queued one names the listing it is for. */
export function myClaims(types, userId, queue, listingsById) {
  const pulled = pulledOf(types, 'Claim').filter((c) => c.claimerId === userId)
    .map((c) => claimWithQueue({ ...c, pending: false }, queue, userId));
  const known = new Set(pulled.map((c) => c.id));
  const queued = queue.filter((q) => q.action === 'claimListing' && !known.has(q.args.id)).map((q) => {
    const listing = listingsById.get(q.args.listingId);
    return {
      ...q.args, listingTitle: listing?.title ?? null, kind: listing?.kind ?? null, status: 'PENDING',
      createdAt: q.clientTime, pending: true,
    };
  });
  return [...pulled, ...queued].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

export function createMarket({ state, setState, refresh, announce, sync, t }) {
  const queue = queuer({ state, refresh, announce, sync, t });

  function where() {
    return state.position ? { near: state.position, source: 'here' } : { near: WARD_CENTRE, source: 'ward' };
  }

  let asked = 0;
  // What was queued for the marketplace when the list was last asked for: once any of it has
  // gone (sent by this window or by the service worker's Background Sync), ask again.
  const queuedHere = () => state.queue.filter((q) => q.action === 'createListing' || q.action === 'claimListing')
    .map((q) => q.mutationId).join(' ');
  let askedWith = null;

  async function loadListings({ fetch = true } = {}) {
    if (!state.near) setState({ near: { record: await reads.cached(reads.LISTINGS_KEY), outcome: null } });
    if (!fetch) return;
    const { near, source } = where();
    asked += 1;
    askedWith = queuedHere();
    const mine = asked;
    setState({ nearLoading: true });
    const result = await reads.fetchListings(near, source);
    if (mine !== asked) return; // a later question (a new position) answers instead
    setState({ nearLoading: false, near: { record: result.record ?? state.near?.record ?? null, outcome: result.outcome } });
  }

  function stale() {
    const at = state.near?.record?.fetchedAt;
    return !at || Date.now() - Date.parse(at) > REFETCH_MS;
  }

  /** Use the phone's position when the resident has already allowed it (never asked unasked). */
  async function usePositionIfAllowed() {
    if (state.position || !navigator.permissions?.query || !navigator.geolocation) return;
    try {
      const permission = await navigator.permissions.query({ name: 'geolocation' });
      if (permission.state === 'granted') await locate();
    } catch {
      // no Permissions API for geolocation: the resident taps "use my location"
    }
  }

  /** The phone's position, coarse; resolves to whether it was found. */
  function locate() {
    if (!navigator.geolocation) {
      setState({ positionError: true });
      return Promise.resolve(false);
    }
    setState({ locating: true, positionError: false });
    return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
      (p) => {
        setState({ locating: false, position: { lat: p.coords.latitude, lon: p.coords.longitude } });
        resolve(true);
      },
      () => {
        setState({ locating: false, positionError: true });
        resolve(false);
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 },
    ));
  }

  async function load(route, { afterSync = false, sent = false } = {}) {
    if (route !== 'market' || !state.session || state.session.needsSignIn) return;
    if (!afterSync) {
      await loadListings({ fetch: false }); // the last answer at once, offline too
      await usePositionIfAllowed();
    }
    const sentElsewhere = askedWith !== null && askedWith !== queuedHere();
    await loadListings({ fetch: !afterSync || sent || sentElsewhere || stale() });
  }

  function vm() {
    const userId = state.session.userId;
    const record = state.near?.record ?? null;
    const pulled = new Map(pulledOf(state.types, 'Listing').map((l) => [l.id, l]));
    const claimsQueued = new Set(state.queue.filter((q) => q.action === 'claimListing').map((q) => q.args.listingId));
    const claimedByMe = new Set(pulledOf(state.types, 'Claim')
      .filter((c) => c.claimerId === userId && c.status !== 'CANCELLED').map((c) => c.listingId));
    // The last answer, brought up to date by the replica (quantity left, status).
    const near = (record?.data?.listings ?? []).map((l) => {
      const fresh = pulled.get(l.id);
      const merged = fresh ? { ...l, quantityLeft: fresh.quantityLeft, status: fresh.status, title: fresh.title } : l;
      const mine = l.isMine || fresh?.ownerId === userId;
      return {
        ...merged, mine, claimPending: claimsQueued.has(l.id), claimed: claimedByMe.has(l.id),
      };
    }).filter((l) => !['WITHDRAWN', 'EXPIRED'].includes(l.status));
    const byId = new Map([...pulled, ...near.map((l) => [l.id, l])]);
    return {
      near, record, source: record?.data?.source ?? where().source, loading: state.nearLoading,
      outcome: state.near?.outcome ?? null, locating: state.locating, positionError: state.positionError,
      online: state.online, hasPosition: Boolean(state.position), draft: state.listingDraft, error: state.marketError,
      editError: state.marketEditError,
      mine: myListings(state.types, userId, state.queue).map((l) => ({ ...l, linked: state.link?.listing === l.id })),
      claims: myClaims(state.types, userId, state.queue, byId),
      editing: state.listingEdit, withdrawing: state.listingWithdraw,
    };
  }

  function number(text) {
    const clean = String(text ?? '').trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
    return clean ? Number(clean) : 1;
  }

  /** A title, body and quantity as typed: the cleaned values, or an error message. */
  function checked(values, { claimed = 0 } = {}) {
    const title = values.title.trim();
    const body = values.body.trim();
    const quantity = number(values.quantity);
    if (!title || [...title].length > TITLE_MAX) return { error: t('market.errorTitle', { n: TITLE_MAX }) };
    if ([...body].length > BODY_MAX) return { error: t('market.errorBody', { n: BODY_MAX }) };
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > QUANTITY_MAX) {
      return { error: t('market.errorQuantity', { n: QUANTITY_MAX }) };
    }
    if (quantity < claimed) return { error: t('market.errorBelowClaimed', { n: claimed }) };
    return { title, body, quantity };
  }

  const actions = {
    locate: async () => {
      if (await locate() && state.route === 'market') loadListings();
    },
    reload: () => loadListings(),
    setDraft: (patch) => setState({ listingDraft: { ...state.listingDraft, ...patch }, marketError: '' }),
    claim: (listing) => queue('claimListing', { id: crypto.randomUUID(), listingId: listing.id, quantity: 1 },
      t('market.claimQueued', { title: listing.title })),
    /** Returns false when the form was refused (the view keeps what was typed). */
    create: (values) => {
      const { title, body, quantity, error } = checked(values);
      if (error) return (setState({ marketError: error }), false);
      const { kind, category } = state.listingDraft;
      const args = { id: crypto.randomUUID(), kind, category, title, body, quantity, location: where().near };
      setState({ marketError: '', listingDraft: { kind, category: 'WATER' } });
      return queue('createListing', args, t(`market.queued.${kind}`));
    },
    startEdit: (listing) => setState({ listingEdit: listing?.id ?? null, listingWithdraw: null, marketEditError: '' }),
    /** The owner's edit, made on the version pulled (the server merges by field). */
    saveEdit: (listing, values) => {
      const claimed = listing.quantity - listing.quantityLeft;
      const { error, ...clean } = checked(values, { claimed });
      if (error) return (setState({ marketEditError: error }), false);
      const changes = Object.fromEntries(Object.entries(clean).filter(([k, v]) => v !== (listing[k] ?? '')));
      setState({ listingEdit: null, marketEditError: '' });
      if (!Object.keys(changes).length) return true;
      return queue('updateListing', { id: listing.id, baseVersion: listing.version, ...changes },
        t('market.updated', { title: clean.title }));
    },
    askWithdraw: (listing) => setState({ listingWithdraw: listing?.id ?? null, listingEdit: null }),
    withdraw: (listing) => {
      setState({ listingWithdraw: null });
      return queue('withdrawListing', { id: listing.id }, t('market.withdrawn', { title: listing.title }));
    },
    confirmHandover: (claim) => queue('confirmHandover', { claimId: claim.id }, t('market.confirmed')),
    callOff: (claim) => queue('cancelClaim', { claimId: claim.id }, t('market.calledOff')),
  };

  return { load, vm, actions };
}
