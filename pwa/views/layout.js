// The frame around every screen: the sync status line, banners, the menu and the main area.
import { html } from './html.js';
import { Attention } from './attention.js';

export const MENU = [
  ['checkin', 'nav.checkin'],
  ['household', 'nav.household'],
  ['shelter', 'nav.shelter'],
  ['rollcall', 'nav.rollcall'],
  ['board', 'nav.board'],
  ['market', 'nav.market'],
  ['settings', 'nav.settings'],
];

// Formatters are costly to make (about 1 ms each): one per kind and language, kept.
const formats = new Map();
export function formatter(kind, lang, options = {}) {
  const key = `${kind}|${lang}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl[kind](lang, options));
  return formats.get(key);
}

const CLOCK = { hour: '2-digit', minute: '2-digit' };
const DAY_AND_CLOCK = { month: 'numeric', day: 'numeric', ...CLOCK };

export function formatTime(t, iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return formatter('DateTimeFormat', t.lang, sameDay ? CLOCK : DAY_AND_CLOCK).format(date);
}

function SyncLine({ t, state }) {
  const { online, pending, syncing, session } = state;
  const paused = session?.needsSignIn;
  let pendingText = pending ? t('status.pending', { n: pending }) : t('status.allSent');
  if (pending && paused) pendingText += ` ${t('status.pausedShort')}`;
  return html`
    <div class="sync" role="status">
      <span class=${online ? 'net online' : 'net offline'}>
        <span class="mark" aria-hidden="true">${online ? '◉' : '○'}</span>
        ${online ? t('status.online') : t('status.offline')}
      </span>
      <span class=${pending ? 'pending has-pending' : 'pending'} data-testid="pending">
        <span class="mark" aria-hidden="true">${pending ? '↑' : '✓'}</span>${pendingText}
      </span>
      ${syncing ? html`<span class="syncing">${t('status.sending')}</span>` : null}
    </div>`;
}

function Banners({ t, state, act }) {
  const items = [];
  if (state.updateReady) {
    items.push(html`<div class="banner info" key="update">
      <p>${t('update.ready')}</p>
      <button type="button" class="secondary" onClick=${act.applyUpdate}>${t('update.apply')}</button>
    </div>`);
  }
  if (state.session?.needsSignIn) {
    items.push(html`<div class="banner warn" key="signin">
      <p><span class="mark" aria-hidden="true">!</span> ${t('banner.signInAgain', { n: state.pending })}</p>
      ${state.route !== 'signin' ? html`<a class="button secondary" href="#/signin">${t('nav.signin')}</a>` : null}
    </div>`);
  }
  if (state.otherPending) {
    items.push(html`<div class="banner info" key="others">
      <p>${t('banner.othersPending', { n: state.otherPending })}</p></div>`);
  }
  if (state.syncProblem === 'version-not-supported') {
    items.push(html`<div class="banner warn" key="version"><p>${t('banner.versionNotSupported')}</p></div>`);
  }
  return items.length ? html`<div class="banners">${items}</div>` : null;
}

function LanguagePicker({ t, state, act }) {
  return html`
    <div class="language">
      <label for="language-select">${t('settings.language')}<span lang="en"> / Language</span></label>
      <select id="language-select" value=${state.locale}
        onChange=${(e) => act.setLocale(e.currentTarget.value)}>
        ${state.languages.map((l) => html`<option value=${l.code} lang=${l.lang}>${l.name}</option>`)}
      </select>
    </div>`;
}

export function Layout({ t, state, act, title, children }) {
  return html`
    <header class="top">
      <div class="brand-row">
        <p class="brand"><span lang="ja">お互い様</span> <span lang="en">Otagai</span></p>
        <${LanguagePicker} t=${t} state=${state} act=${act} />
      </div>
      <${SyncLine} t=${t} state=${state} />
      <p class="updated">
        ${state.lastPulledAt ? t('status.updated', { time: formatTime(t, state.lastPulledAt) }) : t('status.neverUpdated')}
      </p>
      <${Banners} t=${t} state=${state} act=${act} />
      <p class="announce" role="status" aria-live="polite">${state.announcement}</p>
    </header>
    <nav class="menu" aria-label=${t('nav.label')}>
      <ul>
        ${MENU.map(([route, key]) => html`
          <li key=${route}><a href=${`#/${route}`} aria-current=${state.route === route ? 'page' : null}>${t(key)}</a></li>`)}
      </ul>
    </nav>
    <main id="main">
      <h1 tabindex="-1">${title}</h1>
      ${state.attention.length ? html`<${Attention} t=${t} items=${state.attention} act=${act} />` : null}
      ${children}
    </main>`;
}
