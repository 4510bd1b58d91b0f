// "Needs attention": actions the server refused, with its message. Never silently dropped.
import { html } from './html.js';
import { formatTime } from './layout.js';

export function describeAction(t, item) {
  if (item.action === 'checkIn') {
    const parts = [t(`condition.${item.args.condition}`)];
    if (item.args.place && item.args.place !== 'UNKNOWN') parts.push(t(`place.${item.args.place}`));
    return `${t('action.checkIn')}: ${parts.join(' / ')}`;
  }
  // A post or a listing says which one by its title (shown as text, like every title).
  if (typeof item.args?.title === 'string') return `${t(`action.${item.action}`)}: ${item.args.title}`;
  return t(`action.${item.action}`);
}

export function Attention({ t, items, act }) {
  return html`
    <section class="attention" aria-labelledby="attention-title">
      <h2 id="attention-title"><span class="mark" aria-hidden="true">!</span> ${t('attention.title', { n: items.length })}</h2>
      <p>${t('attention.intro')}</p>
      <ul>
        ${items.map((item) => html`
          <li key=${item.mutationId} class="attention-item">
            <p class="what">${describeAction(t, item)} <span class="when">(${formatTime(t, item.clientTime)})</span></p>
            <p class="why">${t(`code.${item.code}`) !== `code.${item.code}` ? t(`code.${item.code}`) : t('code.OTHER')}</p>
            <p class="server-message">${t('attention.serverSays')} <span lang="en">${item.message || item.code}</span></p>
            <button type="button" class="secondary" onClick=${() => act.dismissAttention(item.mutationId)}>
              ${t('attention.dismiss')}
            </button>
          </li>`)}
      </ul>
    </section>`;
}
