/**
 * Server-rendered status page: works without JavaScript (meta refresh), readable on a phone, labels in
 * Russian with English beside them. Every dynamic string is HTML-escaped.
 */
import type { StatusSnapshot } from './types.js';

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const t = (ru: string, en: string) => `${esc(ru)} <span class="en">${esc(en)}</span>`;

function ago(iso: string | undefined, now: string): string {
  if (!iso) return '—';
  const s = Math.round((Date.parse(now) - Date.parse(iso)) / 1000);
  const text = s < 120 ? `${s} с` : s < 7200 ? `${Math.round(s / 60)} мин` : s < 172800 ? `${Math.round(s / 3600)} ч` : `${Math.round(s / 86400)} дн`;
  return `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(text)} назад</time>`;
}

function bytes(n: number): string {
  const u = ['Б', 'КБ', 'МБ', 'ГБ', 'ТБ'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}

const linkBadge: Record<string, string> = {
  ok: '<span class="badge ok">связь есть <span class="en">online</span></span>',
  lost: '<span class="badge bad">нет связи <span class="en">no link</span></span>',
  unknown: '<span class="badge">ожидание <span class="en">waiting</span></span>',
};

const verdictClass = (v: string) => (v === 'ok' ? 'ok' : v === 'no-data' ? '' : 'bad');

/** The whole page. `refreshSeconds` drives the meta refresh. */
export function renderHtml(s: StatusSnapshot, refreshSeconds = 15): string {
  const g = s.gateway;
  const now = g.now;
  const meters = s.meters
    .map((m) => {
      const sys = m.systems
        .map(
          (x) => `<tr><td>ТС${x.system}${x.name ? ` <small>${esc(x.name)}</small>` : ''}</td><td>${x.lastHour ? esc(x.lastHour.slice(0, 16).replace('T', ' ')) + ' UTC' : '—'}</td><td>${x.storedHours}</td><td>${
            x.verdicts && Object.keys(x.verdicts).length
              ? Object.entries(x.verdicts)
                  .map(([p, v]) => `<span class="badge ${verdictClass(v)}">${esc(p)}: ${esc(v)}</span>`)
                  .join(' ')
              : '—'
          }</td></tr>`,
        )
        .join('');
      const cur = m.current
        ? `<div class="values">${Object.entries(m.current.values)
            .map(([k, v]) => `<span><b>${esc(k)}</b> ${esc(v.value)} ${esc(v.unit)}</span>`)
            .join('')}</div><p class="muted">${t('текущие значения', 'current values')}: ${ago(m.current.readAt, now)}</p>`
        : '';
      return `<section class="card meter" data-meter="${esc(m.id)}">
  <h3>${esc(m.id)} ${linkBadge[m.link]}</h3>
  <p class="muted">${esc(m.description ?? '')} · ${esc(m.protocol)} · ${t('линия', 'bus')} ${esc(m.bus)}${m.identity ? ` · № ${esc(m.identity.serial)} ${esc(m.identity.model)}` : ''}</p>
  <p>${t('последний опрос', 'last good read')}: ${ago(m.lastOkAt, now)}${m.clockDriftSeconds !== undefined ? ` · ${t('уход часов', 'clock drift')}: ${esc(m.clockDriftSeconds)} с` : ''}</p>
  ${m.lastError && m.link !== 'ok' ? `<p class="err">${esc(m.lastError.code)}: ${esc(m.lastError.message)}</p>` : ''}
  <table><thead><tr><th>${t('система', 'system')}</th><th>${t('последний час', 'last hour')}</th><th>${t('часов в архиве', 'hours stored')}</th><th>${t('режим', 'regime')}</th></tr></thead><tbody>${sys}</tbody></table>
  ${cur}
</section>`;
    })
    .join('\n');
  const dests = s.destinations
    .map(
      (d) => `<section class="card dest" data-destination="${esc(d.id)}">
  <h3>${esc(d.role)} <small>${esc(d.id)}</small> ${d.connected ? '<span class="badge ok">подключено <span class="en">connected</span></span>' : '<span class="badge bad">нет соединения <span class="en">disconnected</span></span>'}</h3>
  <p>${t('подтверждено записей', 'acknowledged entries')}: <b>${d.ackedSize}</b> · ${t('очередь', 'backlog')}: <b>${d.backlogEntries}</b> (${d.backlogHours} ч)</p>
  <p>${t('последнее подтверждение', 'last ack')}: ${ago(d.lastAckAt, now)} · ${t('последняя контрподпись', 'last cosignature')}: ${ago(d.lastCosignatureAt, now)}</p>
</section>`,
    )
    .join('\n');
  const events = s.events.map((e) => `<li><time datetime="${esc(e.at)}">${esc(e.at.slice(0, 19).replace('T', ' '))}</time> <b>${esc(e.type)}</b> ${esc(e.meterId ?? '')} ${esc(e.summary)}</li>`).join('\n');
  const disk = g.disk ? `${bytes(g.disk.freeBytes)} / ${bytes(g.disk.totalBytes)}` : '—';
  const ntp = g.ntpSynchronized === null ? 'неизвестно <span class="en">unknown</span>' : g.ntpSynchronized ? 'синхронизировано <span class="en">synchronized</span>' : '<span class="badge bad">не синхронизировано <span class="en">not synchronized</span></span>';
  return `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refreshSeconds}">
<title>opengkh ${esc(g.id)} — состояние шлюза</title>
<style>
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f3f4f6;color:#111}
header{background:#14532d;color:#fff;padding:12px 16px}header h1{font-size:18px;margin:0}
main{padding:8px;max-width:900px;margin:auto}.card{background:#fff;border-radius:8px;padding:10px 12px;margin:8px 0;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:16px 4px 4px}h3{font-size:15px;margin:0 0 6px}.en{color:#6b7280;font-size:.85em}
.muted{color:#4b5563;font-size:13px;margin:4px 0}.err{color:#991b1b;font-size:13px}
.badge{display:inline-block;padding:1px 6px;border-radius:10px;background:#e5e7eb;font-size:12px;font-weight:normal}
.badge.ok{background:#dcfce7;color:#166534}.badge.bad{background:#fee2e2;color:#991b1b}.badge .en{color:inherit;opacity:.7}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{text-align:left;padding:3px 4px;border-bottom:1px solid #eee}
.values{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:13px;margin-top:6px}dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0;font-size:13px}dt{color:#4b5563}
ul{padding-left:18px;font-size:13px}code{font-size:12px;word-break:break-all}
</style>
</head>
<body>
<header><h1>Шлюз <span>${esc(g.id)}</span> <span class="en">gateway status</span></h1></header>
<main>
<section class="card" id="gateway"><dl>
<dt>${t('версия', 'version')}</dt><dd>${esc(g.version)}</dd>
<dt>${t('время шлюза', 'gateway time')}</dt><dd>${esc(g.now.slice(0, 19).replace('T', ' '))} UTC (${esc(g.timeZone)})</dd>
<dt>${t('синхронизация времени', 'clock/NTP')}</dt><dd>${ntp}</dd>
<dt>${t('работает', 'uptime')}</dt><dd>${esc(Math.floor(g.uptimeSeconds / 3600))} ч ${esc(Math.floor((g.uptimeSeconds % 3600) / 60))} мин</dd>
<dt>${t('диск свободно', 'disk free')}</dt><dd>${disk}</dd>
<dt>${t('журнал', 'evidence log')}</dt><dd>${esc(g.logSize)} ${t('записей', 'entries')} · ${t('контрольная точка', 'checkpoint')} ${ago(g.lastCheckpointAt, now)}</dd>
<dt>${t('отпечаток ключа', 'key fingerprint')}</dt><dd><code>${esc(g.keyFingerprint)}</code></dd>
</dl></section>
<h2>${t('Приборы учёта', 'Meters')}</h2>
${meters || `<p class="muted">${t('нет приборов в конфигурации', 'no meters configured')}</p>`}
<h2>${t('Получатели', 'Destinations')}</h2>
${dests || `<p class="muted">${t('получатели не настроены', 'no destinations configured')}</p>`}
<h2>${t('События', 'Recent events')}</h2>
<section class="card"><ul>${events || '<li>—</li>'}</ul></section>
<p class="muted">${t('Страница обновляется каждые', 'Refreshes every')} ${refreshSeconds} с · <a href="/api/status">JSON</a> · <a href="/metrics">metrics</a></p>
</main>
</body>
</html>
`;
}
