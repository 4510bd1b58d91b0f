// 世帯: the people I live with. Add someone who has no phone, and tell their safety for them
// (無事です / 被害があります), offline if need be.
import { html } from './html.js';
import { formatTime } from './layout.js';
import { ConditionWords, IncidentPicker, ReportButtons } from './parts.js';

function Status({ t, status }) {
  if (!status) return html`<p class="answer unanswered"><span class="mark" aria-hidden="true">○</span>${t('household.noReport')}</p>`;
  return html`<p class="answer answered">
    <span class="mark" aria-hidden="true">${status.pending ? '↑' : '●'}</span>
    ${status.pending ? t('checkin.currentPending') : t('checkin.current')} <${ConditionWords} t=${t} condition=${status.condition} />
    ${status.reportedAt ? html` <span class="when">(${formatTime(t, status.reportedAt)})</span>` : null}</p>`;
}

function Member({ t, member, incidentId, act }) {
  const nameId = `member-${member.id}`;
  const name = member.displayName ?? t('household.someone');
  return html`
    <li class="member">
      <h3 id=${nameId}>${name}${member.isMe ? html` <span class="badge">${t('household.me')}</span>` : null}</h3>
      ${member.birthYear || !member.hasAccount || member.adding ? html`<p class="hint">
        ${member.birthYear ? t('household.born', { year: member.birthYear }) : null}
        ${member.hasAccount ? null : html` <span class="badge">${t('household.noAccount')}</span>`}
        ${member.adding ? html` <span class="badge"><span aria-hidden="true">↑ </span>${t('household.addingPending')}</span>` : null}
      </p>` : null}
      ${incidentId ? html`<${Status} t=${t} status=${member.status} />` : null}
      ${incidentId && member.isMe ? html`<p><a class="button secondary" href="#/checkin">${t('household.reportMyself')}</a></p>` : null}
      ${incidentId && !member.isMe ? html`
        <p class="visit-label" id=${`${nameId}-report`}>${t('household.reportFor', { name })}</p>
        <${ReportButtons} t=${t} labelId=${`${nameId}-report`} onPick=${(condition) => act.checkInFor(member, condition)} />` : null}
    </li>`;
}

function AddMember({ t, household, error, act }) {
  const submit = (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const f = form.elements;
    const accepted = act.addMember(household.id, { displayName: f.displayName.value, birthYear: f.birthYear.value });
    if (accepted !== false) form.reset();
    f.displayName.focus();
  };
  const id = household.id;
  return html`
    <form class="add-member" onSubmit=${submit} novalidate aria-labelledby=${`add-${id}`}>
      <h3 id=${`add-${id}`}>${t('household.addTitle')}</h3>
      <p class="hint">${t('household.addHint')}</p>
      <div class="field">
        <label for=${`add-name-${id}`}>${t('household.name')}</label>
        <input id=${`add-name-${id}`} name="displayName" type="text" autocomplete="off" maxlength="200" required />
      </div>
      <div class="field">
        <label for=${`add-born-${id}`}>${t('reception.birthYear')}</label>
        <input id=${`add-born-${id}`} name="birthYear" type="text" inputmode="numeric" autocomplete="off" maxlength="4" />
      </div>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit" class="primary">${t('household.add')}</button>
    </form>`;
}

function NoHousehold({ t, vm, act }) {
  if (vm.creating) return html`<p class="note">${t('household.creatingPending')}</p>`;
  if (!vm.associations.length) {
    return html`<section class="card" aria-labelledby="no-household">
      <h2 id="no-household">${t('household.noneTitle')}</h2>
      <p>${t('household.noneNoAssociation')}</p></section>`;
  }
  return html`<section class="card" aria-labelledby="no-household">
    <h2 id="no-household">${t('household.noneTitle')}</h2>
    <p>${t('household.noneCreate')}</p>
    ${vm.associations.map((a) => html`<p key=${a.id}>
      <button type="button" class="secondary" onClick=${() => act.createHousehold(a.id)}>
        ${t('household.create', { association: a.name })}</button></p>`)}
  </section>`;
}

export function Household({ t, vm, act }) {
  if (!vm.households.length) return html`<${NoHousehold} t=${t} vm=${vm} act=${act} />`;
  return html`
    ${vm.incidents.length ? html`<${IncidentPicker} t=${t} incidents=${vm.incidents} incidentId=${vm.incidentId} onPick=${act.chooseIncident} />`
      : html`<p class="note">${t('household.noIncident')}</p>`}
    ${vm.households.map((h) => html`
      <section class="card" key=${h.id} aria-labelledby=${`household-${h.id}`}>
        <h2 id=${`household-${h.id}`}>${h.label}</h2>
        <ul class="members">
          ${h.members.map((m) => html`<${Member} key=${m.id} t=${t} member=${m} incidentId=${vm.incidentId} act=${act} />`)}
        </ul>
        <${AddMember} t=${t} household=${h} error=${vm.householdError} act=${act} />
      </section>`)}`;
}
