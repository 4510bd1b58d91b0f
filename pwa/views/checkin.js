// 安否確認: the four statuses residents drill with on the carriers' boards, offline if need be.
import { html } from './html.js';
import { formatTime } from './layout.js';
import { CARRIER_WORDS } from './parts.js';
import { COMMENT_MAX, NEEDS } from '../model.js';

const CHOICES = [['condition', 'SAFE'], ['condition', 'NEED_HELP'], ['place', 'HOME'], ['place', 'SHELTER']];

function distanceText(t, meters) {
  if (meters === null || meters === undefined) return '';
  return meters < 1000 ? t('shelter.meters', { n: Math.round(meters / 10) * 10 })
    : t('shelter.kilometers', { n: (meters / 1000).toFixed(1) });
}

function IncidentChoice({ t, incidents, draft, act }) {
  if (incidents.length === 1) {
    const i = incidents[0];
    return html`<p class="incident">
      ${i.isDrill ? html`<span class="badge">${t('incident.drill')}</span> ` : null}${i.name}</p>`;
  }
  return html`
    <fieldset class="choices">
      <legend>${t('checkin.incident')}</legend>
      ${incidents.map((i) => html`
        <label class="choice" key=${i.id}>
          <input type="radio" name="incident" value=${i.id} checked=${draft.incidentId === i.id}
            onChange=${() => act.updateDraft({ incidentId: i.id })} />
          ${i.isDrill ? html`<span class="badge">${t('incident.drill')}</span> ` : null}${i.name}
        </label>`)}
    </fieldset>`;
}

function StatusButtons({ t, draft, act }) {
  return html`
    <fieldset class="status-choices">
      <legend>${t('checkin.statusLegend')}</legend>
      <p class="hint">${t('checkin.statusHint')}</p>
      <div class="big-buttons">
        ${CHOICES.map(([field, value]) => html`
          <button type="button" key=${value} class=${`big ${value.toLowerCase()}`}
            aria-pressed=${draft[field] === value}
            onClick=${() => act.updateDraft({ [field]: draft[field] === value ? null : value })}>
            <span class="mark" aria-hidden="true">${draft[field] === value ? '☑' : '☐'}</span>
            <span class="label">${t(`checkin.${value}`)}</span>
            ${t.lang !== 'ja' ? html`<span class="sub" lang="ja">${CARRIER_WORDS[value]}</span>` : null}
            ${t(`checkin.${value}.sub`) ? html`<span class="sub">${t(`checkin.${value}.sub`)}</span>` : null}
          </button>`)}
      </div>
    </fieldset>`;
}

function ShelterPicker({ t, vm, draft, act }) {
  const { shelterRows, shelterTotal, locating, positionError, position, showAllShelters } = vm;
  return html`
    <fieldset class="shelters">
      <legend>${t('shelter.legend')}</legend>
      <div class="row">
        <button type="button" class="secondary" onClick=${act.locate} disabled=${locating}>
          ${locating ? t('shelter.locating') : t('shelter.useLocation')}</button>
        ${position ? html`<span class="note">${t('shelter.sortedByDistance')}</span>` : null}
      </div>
      ${positionError ? html`<p class="error">${t('shelter.locationFailed')}</p>` : null}
      <div class="field">
        <label for="shelter-search">${t('shelter.search')}</label>
        <input id="shelter-search" type="search" value=${vm.shelterQuery}
          onInput=${(e) => act.setShelterQuery(e.currentTarget.value)} />
      </div>
      <label class="choice">
        <input type="checkbox" checked=${showAllShelters} onChange=${(e) => act.setShowAllShelters(e.currentTarget.checked)} />
        ${t('shelter.showAll')}
      </label>
      ${shelterTotal === 0 ? html`<p class="note">${t('shelter.noneLoaded')}</p>`
        : shelterRows.length === 0 ? html`<p class="note">${t('shelter.noneOpen')}</p>`
        : html`<ul class="shelter-list">
          ${shelterRows.slice(0, 30).map((s) => html`
            <li key=${s.id}>
              <label class="choice shelter-choice">
                <input type="radio" name="shelter" value=${s.id} checked=${draft.shelterId === s.id}
                  onChange=${() => act.updateDraft({ shelterId: s.id })} />
                <span class="name">${s.name}</span>
                <span class="meta">
                  ${s.isOpen ? html`<span class="badge open">${t('shelter.open')}</span>`
                    : html`<span class="badge">${t('shelter.notOpen')}</span>`}
                  ${s.welfare ? html` <span class="badge">${t('shelter.welfare')}</span>` : null}
                  ${s.distance !== null ? html` ${distanceText(t, s.distance)}` : null}
                </span>
              </label>
            </li>`)}
        </ul>`}
    </fieldset>`;
}

function Needs({ t, draft, act }) {
  const toggle = (need, on) => act.updateDraft({
    needs: on ? [...draft.needs, need] : draft.needs.filter((n) => n !== need),
  });
  return html`
    <fieldset class="choices needs">
      <legend>${t('checkin.needs')}</legend>
      ${NEEDS.map((need) => html`
        <label class="choice" key=${need}>
          <input type="checkbox" checked=${draft.needs.includes(need)}
            onChange=${(e) => toggle(need, e.currentTarget.checked)} />
          ${t(`need.${need}`)}
        </label>`)}
    </fieldset>`;
}

function Someone({ t, vm, draft, act }) {
  return html`
    <fieldset class="choices">
      <legend>${t('checkin.who')}</legend>
      <label class="choice">
        <input type="radio" name="subject" checked=${!draft.subjectId} onChange=${() => act.updateDraft({ subjectId: '' })} />
        ${t('checkin.myself')}
      </label>
      ${vm.people.map((p) => html`
        <label class="choice" key=${p.id}>
          <input type="radio" name="subject" checked=${draft.subjectId === p.id}
            onChange=${() => act.updateDraft({ subjectId: p.id })} />
          ${t('checkin.forPerson', { name: p.displayName })}
        </label>`)}
      ${vm.people.length ? null : html`<p class="hint">${t('checkin.noOthers')}</p>`}
      <p><a class="button secondary" href="#/household">${t('checkin.toHousehold')}</a></p>
    </fieldset>`;
}

function CurrentStatus({ t, status }) {
  if (!status) return html`<p class="note">${t('checkin.noStatusYet')}</p>`;
  const words = [t(`condition.${status.condition}`)];
  if (status.place && status.place !== 'UNKNOWN') words.push(t(`place.${status.place}`));
  return html`
    <p class="current">
      <span class="mark" aria-hidden="true">${status.pending ? '↑' : '✓'}</span>
      ${status.pending ? t('checkin.currentPending') : t('checkin.current')}
      <strong> ${words.join(' / ')}</strong>
      <span class="when"> (${formatTime(t, status.reportedAt)})</span>
    </p>`;
}

export function CheckIn({ t, vm, act }) {
  const { incidents, draft } = vm;
  if (!incidents.length) {
    return html`<p class="note">${t('checkin.noIncident')}</p>
      <p class="hint">${t('checkin.noIncidentHint')}</p>`;
  }
  const submit = (event) => {
    event.preventDefault();
    act.submitCheckIn();
  };
  return html`
    <${IncidentChoice} t=${t} incidents=${incidents} draft=${draft} act=${act} />
    <section aria-labelledby="current-title" class="card">
      <h2 id="current-title">${t('checkin.currentTitle')}</h2>
      <${CurrentStatus} t=${t} status=${vm.status} />
    </section>
    <form class="checkin" onSubmit=${submit} novalidate>
      <${StatusButtons} t=${t} draft=${draft} act=${act} />
      ${draft.place === 'SHELTER' ? html`<${ShelterPicker} t=${t} vm=${vm} draft=${draft} act=${act} />` : null}
      <${Needs} t=${t} draft=${draft} act=${act} />
      <div class="field">
        <label for="comment">${t('checkin.comment', { n: COMMENT_MAX })}</label>
        <textarea id="comment" rows="3" maxlength=${COMMENT_MAX} aria-describedby="comment-count"
          value=${draft.comment} onInput=${(e) => act.updateDraft({ comment: e.currentTarget.value })}></textarea>
        <p class="hint" id="comment-count">${t('checkin.commentLeft', { n: COMMENT_MAX - [...draft.comment].length })}</p>
      </div>
      <${Someone} t=${t} vm=${vm} draft=${draft} act=${act} />
      ${vm.checkinError ? html`<p class="error" role="alert">${vm.checkinError}</p>` : null}
      <button type="submit" class="primary">${t('checkin.send')}</button>
      <p class="hint">${t('checkin.offlineNote')}</p>
    </form>`;
}
