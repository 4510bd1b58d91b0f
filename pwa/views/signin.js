// Sign in and create an account. Shown for #/signin and in place of any screen that needs it.
import { html } from './html.js';

function field({ id, label, hint, ...input }) {
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
      <input id=${id} name=${id} aria-describedby=${hint ? `${id}-hint` : null} ...${input} />
    </div>`;
}

export function SignIn({ t, state, act }) {
  const { signinMode: mode, authError, busy, online, session } = state;
  const registering = mode === 'register';
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const values = Object.fromEntries(form.entries());
    if (registering) act.register(values);
    else act.signIn(values);
  };
  const email = session?.needsSignIn ? session.email : '';
  return html`
    ${session && !session.needsSignIn
      ? html`<p class="note">${t('signin.signedInAs', { name: session.displayName || session.email })}</p>` : null}
    ${state.needsSignInFor ? html`<p class="note">${t('signin.required')}</p>` : null}
    <div class="mode-switch" role="group" aria-label=${t('signin.modeLabel')}>
      <button type="button" aria-pressed=${!registering} onClick=${() => act.setSigninMode('signin')}>
        ${t('signin.modeSignIn')}</button>
      <button type="button" aria-pressed=${registering} onClick=${() => act.setSigninMode('register')}>
        ${t('signin.modeRegister')}</button>
    </div>
    <form class="card" onSubmit=${submit} novalidate key=${mode}>
      <h2>${registering ? t('signin.registerTitle') : t('signin.signInTitle')}</h2>
      ${registering ? field({
        id: 'displayName', label: t('signin.displayName'), hint: t('signin.displayNameHint'),
        type: 'text', autocomplete: 'name', required: true, maxlength: 200,
      }) : null}
      ${field({
        id: 'email', label: t('signin.email'), type: 'email', autocomplete: 'email',
        required: true, defaultValue: email, inputmode: 'email',
      })}
      ${field({
        id: 'password', label: t('signin.password'), hint: registering ? t('signin.passwordHint') : null,
        type: 'password', autocomplete: registering ? 'new-password' : 'current-password',
        required: true, minlength: registering ? 8 : null,
      })}
      ${!online ? html`<p class="note">${t('signin.needsNetwork')}</p>` : null}
      ${authError ? html`<p class="error" role="alert">${authError}</p>` : null}
      <button type="submit" class="primary" disabled=${busy}>
        ${registering ? t('signin.registerButton') : t('signin.signInButton')}
      </button>
    </form>`;
}
