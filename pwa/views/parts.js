// Pieces the safety screens share: a status in the carriers' words, the incident choice and the
// two big "as found" buttons of a report made for someone else.
import { html } from './html.js';

// The carriers' own words (災害用伝言板): shown beside a translation, never translated away.
export const CARRIER_WORDS = { SAFE: '無事です', NEED_HELP: '被害があります', HOME: '自宅にいます', SHELTER: '避難所にいます' };

// A mark beside the words, so that no status is told by colour alone.
const MARKS = { SAFE: '✓', NEED_HELP: '!', INJURED: '!', MISSING: '?', DECEASED: '■' };

export function ConditionWords({ t, condition }) {
  if (!condition) return null;
  const carrier = CARRIER_WORDS[condition];
  return html`<span class=${`condition c-${condition.toLowerCase()}`}>
    <span class="mark" aria-hidden="true">${MARKS[condition] ?? '・'}</span>${t(`condition.${condition}`)}
    ${t.lang !== 'ja' && carrier ? html` <span lang="ja">（${carrier}）</span>` : null}</span>`;
}

export function IncidentPicker({ t, incidents, incidentId, onPick }) {
  if (incidents.length <= 1) {
    const i = incidents[0];
    return i ? html`<p class="incident">
      ${i.isDrill ? html`<span class="badge">${t('incident.drill')}</span> ` : null}${i.name}</p>` : null;
  }
  return html`
    <fieldset class="choices">
      <legend>${t('checkin.incident')}</legend>
      ${incidents.map((i) => html`
        <label class="choice" key=${i.id}>
          <input type="radio" name="safety-incident" value=${i.id} checked=${incidentId === i.id}
            onChange=${() => onPick(i.id)} />
          ${i.isDrill ? html`<span class="badge">${t('incident.drill')}</span> ` : null}${i.name}
        </label>`)}
    </fieldset>`;
}

/** Two buttons, 無事です and 被害があります, for a report about someone (a group named by `label`). */
export function ReportButtons({ t, labelId, onPick, disabled = false }) {
  return html`
    <div class="report-buttons" role="group" aria-labelledby=${labelId}>
      ${['SAFE', 'NEED_HELP'].map((condition) => html`
        <button type="button" key=${condition} class=${`report ${condition.toLowerCase()}`} disabled=${disabled}
          onClick=${() => onPick(condition)}>
          <${ConditionWords} t=${t} condition=${condition} />
        </button>`)}
    </div>`;
}

/** A screen for a role the signed-in user does not have: said politely, with no data. */
export function NotAvailable({ t, screen, state: gate }) {
  if (gate === 'loading') return html`<p class="note" role="status">${t('roles.loading')}</p>`;
  if (gate === 'unknown') return html`<p class="note">${t('roles.needsNetwork')}</p>`;
  return html`
    <section class="card" aria-labelledby="not-available-title">
      <h2 id="not-available-title">${t('roles.notAvailableTitle')}</h2>
      <p>${t(`roles.notAvailable.${screen}`)}</p>
      <p><a class="button secondary" href="#/checkin">${t('coming.toCheckin')}</a></p>
    </section>`;
}

/**
 * A ref for the item a link names (a tapped notification): scrolled to and given the focus
 * once, when it first appears, so a screen reader starts there.
 */
export function revealOnce(element) {
  if (!element || element.dataset.revealed) return;
  element.dataset.revealed = 'yes';
  element.scrollIntoView({ block: 'start' });
  element.querySelector('h3')?.focus({ preventScroll: true });
}
