// Screens that later work will build. Said plainly: nothing here pretends to work yet.
import { html } from './html.js';

export function ComingSoon({ t, route }) {
  return html`
    <section class="card coming-soon" aria-labelledby="coming-title">
      <h2 id="coming-title">${t('coming.title')}</h2>
      <p>${t(`coming.${route}`)}</p>
      <p>${t('coming.meanwhile')}</p>
      <p><a class="button secondary" href="#/checkin">${t('coming.toCheckin')}</a></p>
    </section>`;
}
