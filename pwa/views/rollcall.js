// 点呼: the leader's door-knock list. Households that have not answered come first, in street
// order; a knock on the door is recorded for every member at once, offline if need be.
import { html } from './html.js';
import { formatTime } from './layout.js';
import { ConditionWords, IncidentPicker, NotAvailable, ReportButtons } from './parts.js';

function AssociationPicker({ t, vm, act }) {
  const name = (a) => a.name ?? t('rollcall.associationUnnamed');
  if (vm.associations.length === 1) return html`<p class="scope">${name(vm.associations[0])}</p>`;
  return html`
    <fieldset class="choices">
      <legend>${t('rollcall.association')}</legend>
      ${vm.associations.map((a) => html`
        <label class="choice" key=${a.id}>
          <input type="radio" name="association" value=${a.id} checked=${vm.associationId === a.id}
            onChange=${() => act.chooseAssociation(a.id)} />
          ${name(a)}
        </label>`)}
    </fieldset>`;
}

function Answer({ t, row }) {
  if (!row.answered) {
    return html`<p class="answer unanswered"><span class="mark" aria-hidden="true">○</span>${t('rollcall.unanswered')}</p>`;
  }
  return html`<p class="answer answered">
    <span class="mark" aria-hidden="true">●</span>${row.pending ? t('rollcall.answeredPending') : t('rollcall.answered')}
    ${row.condition ? html`: <${ConditionWords} t=${t} condition=${row.condition} />` : null}</p>`;
}

// The household moves down the list once recorded: focus goes back to the top of the list,
// where the next household to visit now is.
function visit(row, condition, act) {
  Promise.resolve(act.recordVisit(row, condition)).then(() => {
    requestAnimationFrame(() => document.getElementById('rollcall-list-title')?.focus());
  });
}

function Household({ t, row, act }) {
  const titleId = `hh-${row.id}`;
  return html`
    <li class="household-row">
      <h3 id=${titleId}>${row.label}</h3>
      ${row.address ? html`<p class="hint">${row.address}</p>` : null}
      <p class="hint">${t('rollcall.members', { n: row.members })}</p>
      <${Answer} t=${t} row=${row} />
      ${row.memberIds.length ? html`
        <p class="visit-label" id=${`${titleId}-visit`}>${t('rollcall.visit', { label: row.label })}</p>
        <${ReportButtons} t=${t} labelId=${`${titleId}-visit`} onPick=${(condition) => visit(row, condition, act)} />`
        : html`<p class="hint">${t('rollcall.noMembersKnown')}</p>`}
    </li>`;
}

export function RollCall({ t, vm, online, act }) {
  if (!vm.associations.length || vm.outcome === 'forbidden') {
    const gate = vm.associations.length ? 'none' : !vm.rolesLoaded ? 'loading' : !vm.hasRoles ? 'unknown' : 'none';
    return html`<${NotAvailable} t=${t} screen="rollcall" state=${gate} />`;
  }
  if (!vm.incidents.length) return html`<p class="note">${t('checkin.noIncident')}</p>`;
  const { record, rows } = vm;
  return html`
    <${AssociationPicker} t=${t} vm=${vm} act=${act} />
    <${IncidentPicker} t=${t} incidents=${vm.incidents} incidentId=${vm.incidentId} onPick=${act.chooseIncident} />
    <section class="card" aria-labelledby="rollcall-summary">
      <h2 id="rollcall-summary">${t('rollcall.summaryTitle')}</h2>
      ${record ? html`
        <p class="big-number">${t('rollcall.unansweredCount', { n: vm.unanswered, total: rows.length })}</p>
        <p class="hint">${t('rollcall.fetchedAt', { time: formatTime(t, record.fetchedAt) })}</p>`
        : html`<p class="note">${online ? t('rollcall.loading') : t('rollcall.notFetched')}</p>`}
      <button type="button" class="secondary" disabled=${!online || vm.loading} onClick=${act.reloadRollCall}>
        ${vm.loading ? t('rollcall.reloading') : t('rollcall.reload')}</button>
      <p class="hint">${t('rollcall.howTo')}</p>
    </section>
    ${record ? html`
      <section aria-labelledby="rollcall-list-title">
        <h2 id="rollcall-list-title" tabindex="-1">${t('rollcall.listTitle')}</h2>
        ${rows.length ? html`<ol class="doorknock">${rows.map((row) => html`<${Household} key=${row.id} t=${t} row=${row} act=${act} />`)}</ol>`
          : html`<p class="note">${t('rollcall.noHouseholds')}</p>`}
      </section>` : null}`;
}
