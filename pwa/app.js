// The controller: owns the state, reads storage through the outbox modules, runs sync and
// renders the views. Views only draw and call the actions given to them.

import { VERSION } from './vendor/shell.js';
import * as db from './outbox/db.js';
import * as outbox from './outbox/outbox.js';
import * as model from './model.js';
import { DEFAULT_LOCALE, languageNames, translator } from './i18n/i18n.js';
import { createSync } from './sync.js';
import { startServiceWorker } from './updates.js';
import { createActions } from './actions.js';
import { createSafety } from './safety.js';
import { createBoard } from './board.js';
import { createMarket } from './market.js';
import { createNotifications } from './notifications.js';
import { html, render } from './views/html.js';
import { Layout } from './views/layout.js';
import { SignIn } from './views/signin.js';
import { CheckIn } from './views/checkin.js';
import { Settings } from './views/settings.js';
import { RollCall } from './views/rollcall.js';
import { ShelterStaff } from './views/shelter.js';
import { Household } from './views/household.js';
import { Board } from './views/board.js';
import { Market } from './views/market.js';

const ROUTES = ['signin', 'checkin', 'household', 'shelter', 'rollcall', 'board', 'market', 'settings'];
const root = document.getElementById('app');

let t = null;
const state = {
  ready: false, route: 'checkin', locale: DEFAULT_LOCALE, languages: [], appVersion: VERSION,
  session: null, online: navigator.onLine !== false, pending: 0, otherPending: 0,
  attention: [], queue: [], types: {}, lastPulledAt: null, syncing: false, syncProblem: null,
  updateReady: null, announcement: '', persisted: false,
  signinMode: 'signin', authError: '', busy: false,
  draft: null, checkinError: '', profileError: '',
  position: null, locating: false, positionError: false, shelterQuery: '', showAllShelters: false,
  // the safety screens (safety.js): roles and the last answers of online reads
  roles: null, rolesLoaded: false, safetyIncidentId: null, rollcallAssociationId: null, rollcall: null,
  rollcallLoading: false, shelterId: null, shelterStatus: null, shelterPeopleAll: false, liveMode: null,
  receptionError: '', householdError: '',
  // the board and the marketplace (board.js, market.js)
  boardAssociationId: null, openPosts: [], receipts: {}, boardError: '',
  postDraft: { kind: 'POST', urgency: 'NORMAL', rsvp: false },
  openComments: [], commentError: null, moderation: { id: null, busy: false, error: '' },
  near: null, nearLoading: false, marketError: '', listingDraft: { kind: 'OFFER', category: 'WATER' },
  listingEdit: null, listingWithdraw: null, marketEditError: '',
  // notifications on this device (notifications.js): device is 'unknown' until looked at
  push: { device: 'unknown', record: null, busy: false, error: '' },
  // the item a link names (#/board?post=…, #/market?listing=…), e.g. from a notification
  link: {},
};

function routeFromHash() {
  const name = window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return ROUTES.includes(name) ? name : null;
}

function linkFromHash() {
  const params = new URLSearchParams(window.location.hash.split('?')[1] ?? '');
  return { post: params.get('post'), listing: params.get('listing') };
}

function emptyDraft(incidentId = null) {
  return { incidentId, condition: null, place: null, shelterId: null, needs: [], comment: '', subjectId: '' };
}

function checkinVm() {
  const userId = state.session.userId;
  const incidents = model.openIncidents(state.types);
  if (!state.draft || !incidents.some((i) => i.id === state.draft.incidentId)) {
    state.draft = { ...(state.draft ?? emptyDraft()), incidentId: incidents[0]?.id ?? null };
  }
  const incidentId = state.draft.incidentId;
  return {
    incidents, draft: state.draft, checkinError: state.checkinError,
    status: incidentId ? model.myStatus(state.types, userId, incidentId, state.queue) : null,
    people: model.otherPeople(state.types, userId),
    shelterRows: model.shelters(state.types, incidentId, {
      position: state.position, query: state.shelterQuery, showAll: state.showAllShelters,
    }),
    shelterTotal: model.shelterCount(state.types), shelterQuery: state.shelterQuery,
    showAllShelters: state.showAllShelters, position: state.position,
    locating: state.locating, positionError: state.positionError,
  };
}

function settingsVm() {
  const userId = state.session.userId;
  return {
    profile: model.profile(state.types, userId, state.queue, state.session),
    visibility: model.visibility(state.types, userId, state.queue),
    profileError: state.profileError, associations: model.myAssociations(state.types),
  };
}

function screen() {
  const { route } = state;
  if (route === 'signin' || !state.session) {
    return { title: t('signin.title'), body: html`<${SignIn} t=${t} state=${{ ...state, needsSignInFor: route !== 'signin' }} act=${actions} />` };
  }
  if (route === 'checkin') return { title: t('checkin.title'), body: html`<${CheckIn} t=${t} vm=${checkinVm()} act=${actions} />` };
  if (route === 'settings') {
    return {
      title: t('settings.title'),
      body: html`<${Settings} t=${t} state=${state} vm=${settingsVm()} act=${actions} push=${notifications.vm()}
        pushAct=${notifications.actions} />`,
    };
  }
  if (route === 'rollcall') {
    return { title: t('rollcall.title'), body: html`<${RollCall} t=${t} vm=${safety.rollcallVm()} online=${state.online} act=${safetyActs} />` };
  }
  if (route === 'shelter') {
    return { title: t('reception.title'), body: html`<${ShelterStaff} t=${t} vm=${safety.shelterVm()} online=${state.online} act=${safetyActs} />` };
  }
  if (route === 'household') return { title: t('household.title'), body: html`<${Household} t=${t} vm=${safety.householdVm()} act=${safetyActs} />` };
  if (route === 'board') return { title: t('board.title'), body: html`<${Board} t=${t} vm=${board.vm()} online=${state.online} act=${board.actions} />` };
  return { title: t('market.title'), body: html`<${Market} t=${t} vm=${market.vm()} act=${market.actions} />` };
}

let drawn = false;
function draw() {
  if (!state.ready) return;
  if (!drawn) {
    // The loading page goes first: kept, its <main> would be reused and pushed down (a layout shift).
    root.replaceChildren();
    drawn = true;
  }
  const { title, body } = screen();
  document.title = `${title} — ${t('app.name')}`;
  render(html`<${Layout} t=${t} state=${state} act=${actions} title=${title}>${body}<//>`, root);
}

let frame = 0;
function setState(patch) {
  // Nothing new (the same values set again, as the sync does on each run): no redraw.
  if (Object.keys(patch).every((key) => Object.is(state[key], patch[key]))) return;
  Object.assign(state, patch);
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(draw);
}

/** Re-read everything the screens show from IndexedDB. */
async function refresh() {
  const session = await db.getSession();
  const device = await db.getDevice();
  const userId = session?.userId ?? null;
  const [counts, attention, queue, entities, userState] = await Promise.all([
    db.pendingCounts(userId),
    userId ? db.attention(userId) : [],
    userId ? db.queued(userId) : [],
    userId ? db.entities(userId) : [],
    userId ? db.getUserState(userId) : null,
  ]);
  if (userId !== (state.session?.userId ?? null)) {
    // Someone else (or nobody) is signed in now: nothing of the last user's online reads stays.
    safety.stop();
    setState({
      roles: null, rolesLoaded: false, rollcall: null, shelterStatus: null, shelterPeopleAll: false, liveMode: null,
      openPosts: [], openComments: [], receipts: {}, near: null, boardAssociationId: null,
    });
  }
  setState({
    session, pending: counts.mine, otherPending: counts.others, attention, queue,
    types: model.byType(entities), lastPulledAt: userState?.lastPulledAt ?? null,
    persisted: Boolean(device.persisted),
  });
}

async function setLocale(code, { remember = true } = {}) {
  t = await translator(code);
  document.documentElement.lang = t.lang;
  document.documentElement.dir = t.dir;
  if (remember) await db.updateDevice({ locale: t.locale });
  setState({ locale: t.locale });
}

let announced = 0;
function announce(message) {
  setState({ announcement: '' });
  setTimeout(() => setState({ announcement: message }), 60); // a repeat is announced again
  clearTimeout(announced);
  announced = setTimeout(() => setState({ announcement: '' }), 15000);
}

const sync = createSync({
  appVersion: VERSION,
  onStart: () => setState({ syncing: state.pending > 0 && state.online }),
  onDone: async (report) => {
    const before = state.pending;
    await refresh();
    const stopped = report.drained?.stoppedBecause;
    setState({ syncing: false, syncProblem: stopped === 'version-not-supported' ? stopped : null });
    if (report.drained?.applied && before > 0 && state.pending === 0) announce(t('sync.allSent'));
    if (stopped === 'unauthenticated') announce(t('banner.signInAgain', { n: state.pending }));
    const after = { afterSync: true, sent: Boolean(report.drained?.applied) };
    safety.load(state.route, after);
    board.load(state.route, after);
    market.load(state.route, after);
  },
});

const notifications = createNotifications({ state, setState, announce, t: (...args) => t(...args) });
const actions = createActions({
  state, setState, refresh, announce, sync, t: (...args) => t(...args), emptyDraft,
  setLocale: async (code) => {
    await setLocale(code);
    notifications.refresh(); // the subscription's language follows the UI's
  },
  beforeSignOut: () => notifications.forget(),
  afterSignIn: () => notifications.signedIn(),
});
const safety = createSafety({ state, setState, refresh, announce, sync, t: (...args) => t(...args) });
const safetyActs = safety.actions;
const board = createBoard({ state, setState, refresh, announce, sync, t: (...args) => t(...args) });
const market = createMarket({ state, setState, refresh, announce, sync, t: (...args) => t(...args) });

function loadScreen(route) {
  if (route === 'settings') notifications.load();
  safety.load(route);
  board.load(route);
  market.load(route);
}

async function main() {
  // The first screen is drawn once, with everything it needs read at once: no flash of the
  // sign-in screen before the session is read, no language picker filling in later.
  const device = await db.getDevice();
  const [languages] = await Promise.all([languageNames(), setLocale(device.locale ?? DEFAULT_LOCALE, { remember: false }), refresh()]);
  if (!routeFromHash()) window.history.replaceState(null, '', '#/checkin');
  setState({ languages, route: routeFromHash() ?? 'checkin', link: linkFromHash(), ready: true });
  window.addEventListener('hashchange', () => {
    setState({ route: routeFromHash() ?? 'checkin', link: linkFromHash(), authError: '', checkinError: '', receptionError: '',
      householdError: '', boardError: '', marketError: '' });
    loadScreen(state.route);
    // The screen's heading takes the focus, unless a link names an item there (it takes it).
    if (!state.link.post && !state.link.listing) {
      requestAnimationFrame(() => requestAnimationFrame(() => root.querySelector('h1')?.focus()));
    }
  });
  // A tapped notification asks this window to show its screen (sw.js); the sync follows.
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'open') window.location.hash = new URL(event.data.url, window.location.href).hash;
  });
  window.addEventListener('online', () => {
    setState({ online: true });
    notifications.refresh();
  });
  window.addEventListener('offline', () => setState({ online: false, syncing: false }));
  outbox.onChange(() => refresh());
  loadScreen(state.route);
  if (state.session) db.pruneSent(state.session.userId);
  startServiceWorker({ onUpdateReady: (apply) => setState({ updateReady: apply }) });
  sync.start();
  notifications.refresh();
}

main();
