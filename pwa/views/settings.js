// Settings: language, notifications on this device (Web Push), who sees my safety status
// (setSafetyVisibility), profile (updateProfile).
import { html } from './html.js';
import { Notifications } from './notifications.js';
import { SPOKEN_LANGUAGES } from '../model.js';

const VISIBILITY = ['household', 'leaders', 'shelterStaff', 'publicSearch', 'exactLocation'];

function Language({ t, state, act }) {
  return html`
    <section class="card" aria-labelledby="language-title">
      <h2 id="language-title">${t('settings.language')}</h2>
      <fieldset class="choices">
        <legend class="visually-hidden">${t('settings.language')}</legend>
        ${state.languages.map((l) => html`
          <label class="choice" key=${l.code}>
            <input type="radio" name="locale" value=${l.code} checked=${state.locale === l.code}
              onChange=${() => act.setLocale(l.code)} />
            <span lang=${l.lang}>${l.name}</span>
          </label>`)}
      </fieldset>
    </section>`;
}

function Privacy({ t, vm, act }) {
  const submit = (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    act.saveVisibility(Object.fromEntries(VISIBILITY.map((k) => [k, form.elements[k].checked])));
  };
  return html`
    <section class="card" aria-labelledby="privacy-title">
      <h2 id="privacy-title">${t('settings.privacy')}</h2>
      <p>${t('settings.privacyIntro')}</p>
      <form onSubmit=${submit}>
        <fieldset class="choices">
          <legend>${t('settings.privacyLegend')}</legend>
          ${VISIBILITY.map((key) => html`
            <div class="choice-with-hint" key=${key}>
              <label class="choice">
                <input type="checkbox" name=${key} defaultChecked=${vm.visibility[key]}
                  aria-describedby=${`vis-${key}-hint`} />
                ${t(`visibility.${key}`)}
              </label>
              <p class="hint" id=${`vis-${key}-hint`}>${t(`visibility.${key}.hint`)}</p>
            </div>`)}
        </fieldset>
        ${vm.visibility.pending ? html`<p class="note">${t('settings.pendingSave')}</p>` : null}
        <button type="submit" class="primary">${t('settings.savePrivacy')}</button>
      </form>
    </section>`;
}

function Profile({ t, vm, act }) {
  const submit = (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const languages = SPOKEN_LANGUAGES.map(([code]) => code).filter((code) => form.elements[`lang-${code}`].checked);
    act.saveProfile({ displayName: form.elements.displayName.value, languages });
  };
  return html`
    <section class="card" aria-labelledby="profile-title">
      <h2 id="profile-title">${t('settings.profile')}</h2>
      <form onSubmit=${submit}>
        <div class="field">
          <label for="profile-name">${t('signin.displayName')}</label>
          <input id="profile-name" name="displayName" type="text" autocomplete="name" maxlength="200"
            required defaultValue=${vm.profile.displayName} />
        </div>
        <fieldset class="choices languages">
          <legend>${t('settings.languagesSpoken')}</legend>
          ${SPOKEN_LANGUAGES.map(([code, name]) => html`
            <label class="choice" key=${code}>
              <input type="checkbox" name=${`lang-${code}`} defaultChecked=${vm.profile.languages.includes(code)} />
              <span lang=${code}>${name}</span>
            </label>`)}
        </fieldset>
        ${vm.profileError ? html`<p class="error" role="alert">${vm.profileError}</p>` : null}
        ${vm.profile.pending ? html`<p class="note">${t('settings.pendingSave')}</p>` : null}
        <button type="submit" class="primary">${t('settings.saveProfile')}</button>
      </form>
    </section>`;
}

function Account({ t, state, push, act }) {
  return html`
    <section class="card" aria-labelledby="account-title">
      <h2 id="account-title">${t('settings.account')}</h2>
      <p>${t('signin.signedInAs', { name: state.session.email })}</p>
      ${state.pending ? html`<p class="note">${t('settings.signOutKeeps', { n: state.pending })}</p>` : null}
      ${push.device === 'on' ? html`<p class="hint">${t('push.signOutStops')}</p>` : null}
      <button type="button" class="secondary" onClick=${act.signOut}>${t('settings.signOut')}</button>
      <p class="hint">${t('settings.storage')}: ${state.persisted ? t('settings.storagePersisted') : t('settings.storageBestEffort')}</p>
      <p class="hint">${t('settings.version')}: <span lang="en">${state.appVersion}</span></p>
    </section>`;
}

export function Settings({ t, state, vm, act, push, pushAct }) {
  return html`
    <${Language} t=${t} state=${state} act=${act} />
    <${Notifications} t=${t} vm=${push} associations=${vm.associations} act=${pushAct} />
    <${Privacy} t=${t} vm=${vm} act=${act} />
    <${Profile} t=${t} vm=${vm} act=${act} />
    <${Account} t=${t} state=${state} push=${push} act=${act} />`;
}
