// Settings → notifications on this device: turn them on or off, and choose what arrives and
// when. Said in words for every state: unsupported, iPhone before "Add to Home Screen", blocked.
import { html } from './html.js';
import { CATEGORIES } from '../notifications.js';

const MARKS = { on: '●', off: '○', denied: '×' };

function Choices({ t, vm, associations, act }) {
  const record = vm.record ?? {};
  const chosen = new Set(record.categories ?? CATEGORIES);
  const quiet = record.quietHours;
  const all = record.associationIds === null || record.associationIds === undefined;
  const submit = (event) => {
    event.preventDefault();
    const f = event.currentTarget.elements;
    const choosing = associations.length > 1; // with one association there is nothing to choose
    const ids = choosing ? associations.filter((a) => f[`push-assoc-${a.id}`].checked).map((a) => a.id) : [];
    act.save({
      categories: CATEGORIES.filter((c) => c === 'EMERGENCY' || f[`push-${c}`].checked),
      associationIds: !choosing || ids.length === associations.length ? null : ids,
      quietHours: f.quiet.checked ? { start: f.quietStart.value, end: f.quietEnd.value } : null,
    });
  };
  return html`
    <form onSubmit=${submit}>
      <fieldset class="choices">
        <legend>${t('push.categoriesLegend')}</legend>
        ${CATEGORIES.map((c) => html`
          <label class="choice" key=${c}>
            <input type="checkbox" name=${`push-${c}`} defaultChecked=${c === 'EMERGENCY' || chosen.has(c)}
              disabled=${c === 'EMERGENCY'} />
            ${t(`push.category.${c}`)}
          </label>`)}
      </fieldset>
      ${associations.length > 1 ? html`
        <fieldset class="choices">
          <legend>${t('push.associationsLegend')}</legend>
          ${associations.map((a) => html`
            <label class="choice" key=${a.id}>
              <input type="checkbox" name=${`push-assoc-${a.id}`} defaultChecked=${all || record.associationIds.includes(a.id)} />
              ${a.name}
            </label>`)}
        </fieldset>` : null}
      <fieldset>
        <legend>${t('push.quietLegend')}</legend>
        <label class="choice">
          <input type="checkbox" name="quiet" defaultChecked=${Boolean(quiet)} aria-describedby="push-quiet-hint" />
          ${t('push.quietOn')}
        </label>
        <div class="row times">
          <div class="field">
            <label for="push-quiet-start">${t('push.quietFrom')}</label>
            <input id="push-quiet-start" name="quietStart" type="time" defaultValue=${quiet?.start ?? vm.quietDefault.start} />
          </div>
          <div class="field">
            <label for="push-quiet-end">${t('push.quietTo')}</label>
            <input id="push-quiet-end" name="quietEnd" type="time" defaultValue=${quiet?.end ?? vm.quietDefault.end} />
          </div>
        </div>
        <p class="hint" id="push-quiet-hint">${t('push.quietHint')}</p>
      </fieldset>
      <button type="submit" class="primary" disabled=${vm.busy || !vm.online}>${t('push.save')}</button>
    </form>`;
}

export function Notifications({ t, vm, associations, act }) {
  const { device } = vm;
  let body = null;
  if (device === 'unsupported' || device === 'install-first') {
    body = html`<p class="note">${t(device === 'unsupported' ? 'push.unsupported' : 'push.installFirst')}</p>`;
  } else if (device === 'denied') {
    body = html`<p class="note">${t('push.deniedHelp')}</p>`;
  } else if (device === 'off') {
    body = html`
      <button type="button" class="primary" disabled=${vm.busy || !vm.online} onClick=${act.turnOn}>
        ${vm.busy ? t('push.working') : t('push.turnOn')}</button>`;
  } else if (device === 'on') {
    body = html`
      <p class="hint">${t('push.language', { language: vm.languageName })}</p>
      <${Choices} key=${vm.record?.id ?? 'none'} t=${t} vm=${vm} associations=${associations} act=${act} />
      <button type="button" class="secondary" disabled=${vm.busy} onClick=${act.turnOff}>${t('push.turnOff')}</button>`;
  }
  const state = MARKS[device] ? html`
    <p class=${device === 'on' ? 'answer answered' : 'answer unanswered'} data-testid="push-state">
      <span class="mark" aria-hidden="true">${MARKS[device]}</span>${t(`push.state.${device}`)}</p>` : null;
  return html`
    <section class="card" aria-labelledby="push-title">
      <h2 id="push-title">${t('push.title')}</h2>
      <p>${t('push.intro')}</p>
      ${state}
      ${body}
      ${!vm.online && (device === 'off' || device === 'on') ? html`<p class="hint">${t('push.needsNetwork')}</p>` : null}
      ${vm.error ? html`<p class="error" role="alert">${vm.error}</p>` : null}
    </section>`;
}
