// 避難所の受付: shelter staff see who is here, counts by status, needs and crowding, live; and
// check in people who have no phone, by name (and phone number or birth year), offline if need be.
import { html } from './html.js';
import { formatTime } from './layout.js';
import { ConditionWords, IncidentPicker, NotAvailable } from './parts.js';
import { NEEDS } from '../model.js';

function ShelterPicker({ t, vm, act }) {
  const name = (s) => s.name ?? t('reception.shelterUnnamed');
  if (vm.shelters.length === 1) return html`<p class="scope">${name(vm.shelters[0])}</p>`;
  return html`
    <fieldset class="choices">
      <legend>${t('reception.shelter')}</legend>
      ${vm.shelters.map((s) => html`
        <label class="choice" key=${s.id}>
          <input type="radio" name="staff-shelter" value=${s.id} checked=${vm.shelterId === s.id}
            onChange=${() => act.chooseShelter(s.id)} />
          ${name(s)}
        </label>`)}
    </fieldset>`;
}

function LiveLine({ t, vm }) {
  const mode = vm.liveMode ?? 'connecting';
  const marks = { live: '◉', polling: '↻', offline: '○', connecting: '…' };
  return html`<p class=${`live-line ${mode}`}>
    <span class="mark" aria-hidden="true">${marks[mode]}</span>${t(`reception.mode.${mode}`)}
    ${vm.record ? html` <span class="when">${t('reception.fetchedAt', { time: formatTime(t, vm.record.fetchedAt) })}</span>` : null}
  </p>`;
}

function Summary({ t, status }) {
  const counts = status.counts.filter((c) => c.count > 0);
  const needs = status.needs.filter((n) => n.count > 0);
  return html`
    <section class="card" aria-labelledby="shelter-summary">
      <h2 id="shelter-summary">${t('reception.summaryTitle')}</h2>
      <p class="big-number" data-testid="occupancy">
        ${status.capacity ? t('reception.occupancyOf', { n: status.occupancy, capacity: status.capacity })
          : t('reception.occupancy', { n: status.occupancy })}</p>
      <p class=${`crowding crowding-${status.crowding.toLowerCase()}`}>
        ${t('reception.crowdingLabel')} <strong>${t(`crowding.${status.crowding}`)}</strong></p>
      ${status.isOpen === false ? html`<p class="note">${t('reception.notOpen')}</p>` : null}
      <h3>${t('reception.byCondition')}</h3>
      ${counts.length ? html`<ul class="tally" data-testid="counts">
        ${counts.map((c) => html`<li key=${c.condition}><${ConditionWords} t=${t} condition=${c.condition} />
          <strong>${t('reception.people', { n: c.count })}</strong></li>`)}</ul>`
        : html`<p class="hint">${t('reception.nobodyYet')}</p>`}
      <h3>${t('reception.needsTitle')}</h3>
      ${needs.length ? html`<ul class="tally">
        ${needs.map((n) => html`<li key=${n.need}>${t(`need.${n.need}`)} <strong>${t('reception.people', { n: n.count })}</strong></li>`)}</ul>`
        : html`<p class="hint">${t('reception.noNeeds')}</p>`}
    </section>`;
}

function People({ t, status, arrivals, peopleAll, online, act }) {
  const visible = status?.peopleVisible ?? status?.people.length ?? 0; // an answer kept from before peopleVisible
  return html`
    <section class="card" aria-labelledby="shelter-people">
      <h2 id="shelter-people" tabindex="-1">${t('reception.peopleTitle')}</h2>
      ${arrivals.length ? html`
        <h3>${t('reception.arrivalsPending', { n: arrivals.length })}</h3>
        <ul class="people">${arrivals.map((p) => html`<li key=${p.id}>
          <span class="mark" aria-hidden="true">↑</span><span class="name">${p.displayName ?? t('household.someone')}</span>
          <${ConditionWords} t=${t} condition=${p.condition} /></li>`)}</ul>` : null}
      ${status?.people.length ? html`
        <ul class="people">${status.people.map((p) => html`<li key=${p.personId}>
          <span class="name">${p.displayName || t('household.someone')}</span>
          <${ConditionWords} t=${t} condition=${p.condition} />
          ${p.disputed ? html` <span class="badge">${t('reception.disputed')}</span>` : null}
          ${p.hasAccount ? null : html` <span class="badge">${t('household.noAccount')}</span>`}
          ${p.needs.length ? html`<span class="hint"> ${p.needs.map((n) => t(`need.${n}`)).join('、')}</span>` : null}
        </li>`)}</ul>` : arrivals.length ? null : html`<p class="hint">${t('reception.nobodyYet')}</p>`}
      ${status && status.people.length < visible ? html`
        <p class="hint">${t('reception.firstPeople', { n: status.people.length, total: visible })}</p>
        ${!peopleAll ? html`<button type="button" class="secondary" onClick=${() => act.showAllPeople()}>
          ${t('reception.showAllPeople', { n: visible })}</button>`
          : html`<p class="note" role="status">${online ? t('reception.loadingAll') : t('reception.allWhenOnline')}</p>`}` : null}
      ${status && visible < status.occupancy
        ? html`<p class="hint">${t('reception.hiddenPeople', { n: status.occupancy - visible })}</p>` : null}
    </section>`;
}

function Reception({ t, vm, act }) {
  const submit = (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const f = form.elements;
    const accepted = act.receive({
      displayName: f.displayName.value, phone: f.phone.value, birthYear: f.birthYear.value,
      condition: f.condition.value || 'SAFE', needs: NEEDS.filter((n) => f[`need-${n}`].checked),
    });
    if (accepted !== false) form.reset(); // ready for the next person
    f.displayName.focus();
  };
  return html`
    <section class="card" aria-labelledby="reception-title">
      <h2 id="reception-title">${t('reception.formTitle')}</h2>
      <p class="hint">${t('reception.formHint')}</p>
      <form onSubmit=${submit} novalidate>
        <div class="field">
          <label for="reception-name">${t('reception.name')}</label>
          <input id="reception-name" name="displayName" type="text" autocomplete="off" maxlength="200" required />
        </div>
        <div class="field">
          <label for="reception-phone">${t('reception.phone')}</label>
          <input id="reception-phone" name="phone" type="tel" autocomplete="off" maxlength="20" />
        </div>
        <div class="field">
          <label for="reception-born">${t('reception.birthYear')}</label>
          <input id="reception-born" name="birthYear" type="text" inputmode="numeric" autocomplete="off" maxlength="4"
            aria-describedby="reception-born-hint" />
          <p class="hint" id="reception-born-hint">${t('reception.birthYearHint')}</p>
        </div>
        <fieldset class="choices">
          <legend>${t('reception.condition')}</legend>
          ${['SAFE', 'NEED_HELP'].map((c) => html`
            <label class="choice" key=${c}>
              <input type="radio" name="condition" value=${c} defaultChecked=${c === 'SAFE'} />
              <${ConditionWords} t=${t} condition=${c} />
            </label>`)}
        </fieldset>
        <fieldset class="choices needs">
          <legend>${t('checkin.needs')}</legend>
          ${NEEDS.map((need) => html`
            <label class="choice" key=${need}>
              <input type="checkbox" name=${`need-${need}`} />${t(`need.${need}`)}
            </label>`)}
        </fieldset>
        ${vm.receptionError ? html`<p class="error" role="alert">${vm.receptionError}</p>` : null}
        <button type="submit" class="primary">${t('reception.submit')}</button>
        <p class="hint">${t('checkin.offlineNote')}</p>
      </form>
    </section>`;
}

export function ShelterStaff({ t, vm, online, act }) {
  if (!vm.shelters.length || vm.forbidden) {
    const gate = vm.shelters.length ? 'none' : !vm.rolesLoaded ? 'loading' : !vm.hasRoles ? 'unknown' : 'none';
    return html`<${NotAvailable} t=${t} screen="shelter" state=${gate} />`;
  }
  if (!vm.incidents.length) return html`<p class="note">${t('checkin.noIncident')}</p>`;
  const status = vm.record?.data ?? null;
  return html`
    <${ShelterPicker} t=${t} vm=${vm} act=${act} />
    <${IncidentPicker} t=${t} incidents=${vm.incidents} incidentId=${vm.incidentId} onPick=${act.chooseIncident} />
    <${LiveLine} t=${t} vm=${vm} />
    ${status ? html`<${Summary} t=${t} status=${status} />`
      : html`<p class="note">${online ? t('rollcall.loading') : t('reception.notFetched')}</p>`}
    <${Reception} t=${t} vm=${vm} act=${act} />
    <${People} t=${t} status=${status} arrivals=${vm.arrivals} peopleAll=${vm.peopleAll} online=${online} act=${act} />`;
}
