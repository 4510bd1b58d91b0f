// The controller of the safety screens beside check-in: the leader's roll-call, shelter
// reception and the resident's household. Reads come from the replica, the queue and the last
// answers of online reads (reads.js); every write goes through the outbox, online or not.

import * as outbox from './outbox/outbox.js';
import * as reads from './reads.js';
import * as model from './model.js';

const NAME_MAX = 200;
// A shelter can hold hundreds: the screen lists the most urgent first, this many until staff ask for all.
const PEOPLE_PAGE = 100;
const PHONE = /^[0-9０-９+＋()（）\- ー－]{3,20}$/;

export function createSafety({ state, setState, refresh, announce, sync, t }) {
  let stopWatching = null;
  let watching = null;

  async function queueAll(items, message) {
    for (const [action, args] of items) await outbox.enqueue(action, args);
    await refresh();
    announce(state.online ? message : `${message} ${t('sync.willSendLater')}`);
    outbox.requestPersistence().then(() => refresh());
    sync.afterWrite();
  }

  /** The incident the safety screens show: the chosen one while it is open, else the newest. */
  function incidentId() {
    const open = model.openIncidents(state.types);
    if (open.some((i) => i.id === state.safetyIncidentId)) return state.safetyIncidentId;
    return open[0]?.id ?? null;
  }

  function pick(chosen, ids) {
    return ids.includes(chosen) ? chosen : ids[0] ?? null;
  }

  async function loadRoles() {
    if (!state.roles) setState({ roles: await reads.cached('me') });
    const result = await reads.fetchRoles();
    if (result.outcome === 'ok') setState({ roles: result.record });
    setState({ rolesLoaded: true });
  }

  // Every roll-call read is audited on the server: after a sync it is asked again only when
  // something was sent or the last answer is a minute old, not on every 30 s tick.
  const REFETCH_MS = 60000;

  function staleRollCall() {
    const at = state.rollcall?.record?.fetchedAt;
    return !at || Date.now() - Date.parse(at) > REFETCH_MS;
  }

  async function loadRollCall({ fetch = true } = {}) {
    const associationId = pick(state.rollcallAssociationId, model.scopesOf(state.roles, 'LEADER'));
    const incident = incidentId();
    if (!associationId || !incident) return;
    const key = reads.rollCallKey(associationId, incident);
    if (state.rollcall?.key !== key) setState({ rollcall: { key, record: await reads.cached(key), outcome: null } });
    if (!fetch) return;
    setState({ rollcallLoading: true });
    const result = await reads.fetchRollCall(associationId, incident);
    setState({ rollcallLoading: false });
    if (state.rollcall?.key !== key) return;
    setState({
      rollcall: { key, record: result.record ?? state.rollcall.record, outcome: result.outcome },
    });
  }

  function watchShelter() {
    const shelterId = pick(state.shelterId, model.scopesOf(state.roles, 'SHELTER_STAFF'));
    const incident = incidentId();
    const key = shelterId && incident ? reads.shelterKey(shelterId, incident) : null;
    const people = state.shelterPeopleAll ? null : PEOPLE_PAGE;
    const watch = key && `${key}|${people ?? 'all'}`;
    if (watch === watching) return;
    stopWatching?.();
    stopWatching = null;
    const sameShelter = watching?.startsWith(`${key}|`);
    watching = watch;
    if (!key) return;
    if (!sameShelter) setState({ shelterStatus: { key, record: null, forbidden: false }, liveMode: null });
    reads.cached(key).then((record) => {
      if (watching === watch && !state.shelterStatus.record) setState({ shelterStatus: { key, record, forbidden: false } });
    });
    stopWatching = reads.watchShelter(shelterId, incident, {
      people,
      onRecord: (record) => {
        if (watching !== watch) return;
        const before = state.shelterStatus?.record?.data?.occupancy;
        setState({ shelterStatus: { key, record, forbidden: false } });
        const now = record.data.occupancy;
        if (before !== undefined && before !== now) announce(t('reception.occupancyNow', { n: now }));
      },
      onMode: (mode) => {
        if (watching !== watch || state.liveMode === mode) return;
        setState({ liveMode: mode });
        if (mode === 'live') announce(t('reception.liveOn'));
      },
      onForbidden: () => watching === watch && setState({ shelterStatus: { key, record: null, forbidden: true } }),
    });
  }

  function stop() {
    stopWatching?.();
    stopWatching = null;
    watching = null;
    if (state.shelterPeopleAll) setState({ shelterPeopleAll: false }); // back to the first page next time
  }

  /** What a screen needs when it is shown, and again after each sync. */
  async function load(route, { afterSync = false, sent = false } = {}) {
    if (route !== 'shelter') stop();
    if (!state.session || state.session.needsSignIn) return;
    if (route === 'rollcall') {
      if (!afterSync || !state.roles) await loadRoles();
      await loadRollCall({ fetch: !afterSync || sent || staleRollCall() });
    } else if (route === 'shelter') {
      if (!afterSync || !state.roles) await loadRoles();
      watchShelter();
    }
  }

  function rollcallVm() {
    const associations = model.scopesOf(state.roles, 'LEADER')
      .map((id) => ({ id, name: model.associationName(state.types, id) }));
    const associationId = pick(state.rollcallAssociationId, associations.map((a) => a.id));
    const incident = incidentId();
    const record = state.rollcall?.key === reads.rollCallKey(associationId, incident) ? state.rollcall.record : null;
    const rows = model.rollCallRows(state.types, record, incident, state.queue);
    return {
      rolesLoaded: state.rolesLoaded || Boolean(state.roles), hasRoles: Boolean(state.roles),
      associations, associationId, incidents: model.openIncidents(state.types), incidentId: incident,
      record, rows, unanswered: rows.filter((r) => !r.answered).length,
      loading: state.rollcallLoading, outcome: state.rollcall?.outcome ?? null,
    };
  }

  function shelterVm() {
    const shelters = model.scopesOf(state.roles, 'SHELTER_STAFF')
      .map((id) => ({ id, name: model.shelterName(state.types, id) }));
    const shelterId = pick(state.shelterId, shelters.map((s) => s.id));
    const incident = incidentId();
    const current = state.shelterStatus?.key === reads.shelterKey(shelterId, incident) ? state.shelterStatus : null;
    return {
      rolesLoaded: state.rolesLoaded || Boolean(state.roles), hasRoles: Boolean(state.roles),
      shelters, shelterId, incidents: model.openIncidents(state.types), incidentId: incident,
      record: current?.record ?? null, forbidden: current?.forbidden ?? false, liveMode: state.liveMode,
      arrivals: shelterId ? model.queuedArrivals(state.queue, shelterId, incident) : [],
      peopleAll: state.shelterPeopleAll,
      receptionError: state.receptionError,
    };
  }

  function householdVm() {
    const userId = state.session.userId;
    const incident = incidentId();
    const me = model.profile(state.types, userId, state.queue, state.session).displayName;
    return {
      incidents: model.openIncidents(state.types), incidentId: incident,
      households: model.myHouseholds(state.types, userId, incident, state.queue, me),
      associations: model.myAssociations(state.types), myName: me,
      creating: state.queue.some((q) => q.action === 'createHousehold'),
      householdError: state.householdError,
    };
  }

  function validName(name) {
    const clean = name.trim();
    return clean && clean.length <= NAME_MAX ? clean : null;
  }

  function validBirthYear(value) {
    const text = String(value ?? '').trim();
    if (!text) return { ok: true, year: null };
    const year = Number(text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)));
    return Number.isInteger(year) && year >= 1900 && year <= new Date().getFullYear() ? { ok: true, year } : { ok: false };
  }

  /** A refused form: the message is shown; the view keeps what was typed. */
  function fail(patch) {
    setState(patch);
    return false;
  }

  const actions = {
    chooseIncident: (id) => {
      setState({ safetyIncidentId: id });
      load(state.route);
    },
    chooseAssociation: (id) => {
      setState({ rollcallAssociationId: id });
      loadRollCall();
    },
    chooseShelter: (id) => {
      setState({ shelterId: id, shelterPeopleAll: false });
      watchShelter();
    },
    showAllPeople: () => {
      setState({ shelterPeopleAll: true });
      watchShelter();
      // The button gives way to the longer list: keep the keyboard and screen reader there.
      requestAnimationFrame(() => document.getElementById('shelter-people')?.focus());
    },
    reloadRollCall: () => loadRollCall(),
    /** A door knock: one proxy check-in for each member of the household, as found. */
    recordVisit: (row, condition) => {
      const incident = incidentId();
      if (!incident || !row.memberIds.length) return null;
      const items = row.memberIds.map((subjectId) => ['checkIn', {
        id: crypto.randomUUID(), incidentId: incident, subjectId, condition, place: 'HOME',
      }]);
      return queueAll(items, t('rollcall.recorded', { label: row.label, condition: t(`condition.${condition}`) }));
    },
    /** Reception: register a person without a phone, then check them in here. Returns false
     * when the form was refused (the view then keeps what was typed). */
    receive: (values) => {
      const name = validName(values.displayName);
      const born = validBirthYear(values.birthYear);
      const phone = values.phone.trim();
      if (!name) return fail({ receptionError: t('reception.errorName') });
      if (!born.ok) return fail({ receptionError: t('reception.errorBirthYear') });
      if (phone && !PHONE.test(phone)) return fail({ receptionError: t('reception.errorPhone') });
      const { shelterId, incidentId: incident } = shelterVm();
      const personId = crypto.randomUUID();
      const person = { id: personId, displayName: name };
      if (phone) person.phone = phone;
      if (born.year) person.birthYear = born.year;
      const checkIn = {
        id: crypto.randomUUID(), incidentId: incident, subjectId: personId, condition: values.condition,
        place: 'SHELTER', shelterId, needs: values.needs,
      };
      setState({ receptionError: '' });
      return queueAll([['registerPerson', person], ['checkIn', checkIn]], t('reception.received', { name }));
    },
    addMember: (householdId, values) => {
      const name = validName(values.displayName);
      const born = validBirthYear(values.birthYear);
      if (!name) return fail({ householdError: t('household.errorName') });
      if (!born.ok) return fail({ householdError: t('household.errorBirthYear') });
      const person = { id: crypto.randomUUID(), displayName: name, householdId };
      if (born.year) person.birthYear = born.year;
      setState({ householdError: '' });
      return queueAll([['registerPerson', person]], t('household.added', { name }));
    },
    checkInFor: (member, condition) => {
      const incident = incidentId();
      if (!incident) return null;
      const args = { id: crypto.randomUUID(), incidentId: incident, condition };
      if (!member.isMe) args.subjectId = member.id;
      const name = member.displayName ?? t('household.someone');
      return queueAll([['checkIn', args]], t('household.reported', { name, condition: t(`condition.${condition}`) }));
    },
    createHousehold: (associationId) => queueAll([['createHousehold', {
      id: crypto.randomUUID(), associationId, label: householdVm().myName || t('household.myHousehold'),
      joinSelf: true,
    }]], t('household.creating')),
  };

  // Another user (or nobody) signed in: the live view of the last one ends with their session.
  return { load, stop, rollcallVm, shelterVm, householdVm, actions };
}
