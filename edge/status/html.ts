/**
 * Server-rendered status page for a technician's phone: no JavaScript (a meta refresh reloads it), one
 * column that fits a 360 px screen, labels in Russian with English beside them, times in the gateway's
 * time zone (ISO UTC in each `<time datetime>`). Every dynamic string is HTML-escaped. Shows only what
 * the snapshot holds — no key material (the snapshot carries the public key's fingerprint only).
 */
import type { MeterStatus, StatusSnapshot } from './types.js';

/** HTML-escapes text and attribute values (& < > " '). */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "Русский <span class=en>English</span>". */
const t = (ru: string, en: string) => `${esc(ru)} <span class="en" lang="en">${esc(en)}</span>`;

/** Formats ISO instants as "dd.mm hh:mm" (or with year and seconds) in the gateway's zone. */
function timeFormat(timeZone: string): (iso: string, long?: boolean) => string {
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat('ru-RU', { timeZone });
  } catch {
    zone = 'UTC';
  }
  const short = new Intl.DateTimeFormat('ru-RU', { timeZone: zone, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const full = new Intl.DateTimeFormat('ru-RU', { timeZone: zone, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return (iso, long = false) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    const p = Object.fromEntries((long ? full : short).formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.day}.${p.month}${long ? `.${p.year}` : ''} ${p.hour}:${p.minute}${long ? `:${p.second}` : ''}`;
  };
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

const badge = (cls: '' | 'ok' | 'bad' | 'warn', ru: string, en: string) => `<span class="badge ${cls}">${esc(ru)} <span class="en" lang="en">${esc(en)}</span></span>`;

const linkBadge: Record<MeterStatus['link'], string> = {
  ok: badge('ok', 'связь есть', 'online'),
  lost: badge('bad', 'нет связи', 'no link'),
  unknown: badge('', 'ожидание', 'waiting'),
};

/** Regime verdicts (edge/regime VerdictKind) in words. */
const verdictWords: Record<string, [string, string, '' | 'ok' | 'bad' | 'warn']> = {
  ok: ['норма', 'ok', 'ok'],
  below: ['ниже нормы', 'below', 'bad'],
  above: ['выше нормы', 'above', 'bad'],
  'no-data': ['нет данных', 'no data', 'warn'],
};

/** Evidence-log entry types in words. */
const eventWords: Record<string, [string, string, '' | 'ok' | 'bad' | 'warn']> = {
  'comm.lost': ['нет связи', 'link lost', 'bad'],
  'comm.restored': ['связь восстановлена', 'link restored', 'ok'],
  'clock.drift': ['уход часов', 'clock drift', 'warn'],
  'regime.verdict': ['режим', 'regime', 'warn'],
  'meter.identity': ['прибор', 'meter identity', ''],
  'config.change': ['конфигурация', 'config change', ''],
  'gateway.boot': ['запуск шлюза', 'gateway start', ''],
  'key.rotation': ['смена ключа', 'key rotation', 'warn'],
  cosignature: ['контрподпись', 'cosignature', 'ok'],
};

/** Events shown on the page (the snapshot may hold more; /api/status has them all). */
const MAX_EVENTS = 15;

/** The whole page. `refreshSeconds` drives the meta refresh (default 15). */
export function renderHtml(s: StatusSnapshot, refreshSeconds = 15): string {
  const g = s.gateway;
  const fmt = timeFormat(g.timeZone);
  const nowMs = Date.parse(g.now);
  /** "5 мин назад" with the local time in the title; an instant ahead of the gateway clock shows as a time. */
  const ago = (iso: string | undefined): string => {
    if (!iso) return '—';
    const sec = Math.round((nowMs - Date.parse(iso)) / 1000);
    if (!Number.isFinite(sec) || sec < -60) return `<time datetime="${esc(iso)}">${esc(fmt(iso))}</time>`;
    const n = Math.max(0, sec);
    const text = n < 120 ? `${n} с` : n < 7200 ? `${Math.round(n / 60)} мин` : n < 172800 ? `${Math.round(n / 3600)} ч` : `${Math.round(n / 86400)} дн`;
    return `<time datetime="${esc(iso)}" title="${esc(fmt(iso, true))}">${esc(text)} назад</time>`;
  };
  const at = (iso: string) => `<time datetime="${esc(iso)}">${esc(fmt(iso))}</time>`;

  const up = { meters: s.meters.filter((m) => m.link === 'ok').length, dests: s.destinations.filter((d) => d.connected).length };
  const backlog = s.destinations.reduce((n, d) => Math.max(n, d.backlogEntries), 0);

  const meters = s.meters
    .map((m) => {
      // Current values come keyed "t1" (one heat system) or "t1(2)" (several): group them per system.
      const bySystem = new Map<number, string[]>();
      for (const [k, v] of Object.entries(m.current?.values ?? {})) {
        const mm = /^(.*)\((\d+)\)$/.exec(k);
        const sys = mm ? Number(mm[2]) : (m.systems[0]?.system ?? 1);
        const name = mm ? mm[1]! : k;
        const list = bySystem.get(sys) ?? [];
        list.push(`<span class="v"><b>${esc(name)}</b> ${esc(v.value)}${v.unit ? `&nbsp;${esc(v.unit)}` : ''}</span>`);
        bySystem.set(sys, list);
      }
      const systems = m.systems
        .map((x) => {
          const verdicts = Object.entries(x.verdicts ?? {})
            .map(([p, v]) => {
              const [ru, en, cls] = verdictWords[v] ?? [v, v, 'warn'];
              return `<span class="badge ${cls}">${esc(p)}: ${esc(ru)} <span class="en" lang="en">${esc(en)}</span></span>`;
            })
            .join(' ');
          const values = bySystem.get(x.system);
          return `<div class="sys" data-system="${esc(x.system)}">
    <div class="sys-h"><b>ТС${esc(x.system)}</b>${x.name ? ` ${esc(x.name)}` : ''}${verdicts ? ` · ${verdicts}` : ''}</div>
    <div class="kv"><span>${t('последний час', 'last hour')}: <b>${x.lastHour ? at(x.lastHour) : '—'}</b></span><span>${t('в архиве', 'stored')}: <b>${esc(x.storedHours)}</b> ч</span></div>
    ${values ? `<div class="values">${values.join(' ')}</div>` : ''}
  </div>`;
        })
        .join('\n  ');
      const errors = Object.entries(m.errors)
        .map(([code, n]) => `${esc(code)}&nbsp;${esc(n)}`)
        .join(', ');
      const ident = m.identity ? `№&nbsp;${esc(m.identity.serial)} · ${esc(m.identity.model)}${m.identity.firmware ? ` · ${t('ПО', 'fw')} ${esc(m.identity.firmware)}` : ''}` : '';
      return `<section class="card meter${m.link === 'lost' ? ' alarm' : ''}" data-meter="${esc(m.id)}">
  <h3><span class="id">${esc(m.id)}</span> ${linkBadge[m.link]}</h3>
  ${m.description ? `<p class="desc">${esc(m.description)}</p>` : ''}
  <p class="muted">${esc(m.protocol)} · ${t('линия', 'bus')} ${esc(m.bus)}${ident ? ` · ${ident}` : ''}</p>
  <div class="kv"><span>${t('опрос', 'last read')}: <b>${ago(m.lastOkAt)}</b></span>${m.clockDriftSeconds !== undefined ? `<span>${t('уход часов', 'clock drift')}: <b>${esc(m.clockDriftSeconds > 0 ? `+${m.clockDriftSeconds}` : m.clockDriftSeconds)}&nbsp;с</b></span>` : ''}<span>${t('опросов', 'polls')}: ${esc(m.polls)}${errors ? ` · ${t('ошибки', 'errors')}: ${errors}` : ''}</span></div>
  ${m.lastError && m.link !== 'ok' ? `<p class="err">${esc(m.lastError.code)} · ${ago(m.lastError.at)}<br>${esc(m.lastError.message)}</p>` : ''}
  ${systems}
  ${m.current ? `<p class="muted">${t('текущие значения', 'current values')}: ${ago(m.current.readAt)}</p>` : ''}
</section>`;
    })
    .join('\n');

  const dests = s.destinations
    .map(
      (d) => `<section class="card dest${d.connected ? '' : ' alarm'}" data-destination="${esc(d.id)}">
  <h3><span class="id">${esc(d.role || d.id)}</span> <small>${esc(d.id)}</small> ${d.connected ? badge('ok', 'подключено', 'connected') : badge('bad', 'нет соединения', 'disconnected')}</h3>
  <div class="kv"><span>${t('подтверждено', 'acknowledged')}: <b>${esc(d.ackedSize)}</b> ${t('записей', 'entries')}</span><span>${t('очередь', 'backlog')}: <b class="${d.backlogEntries > 0 ? 'warn-t' : ''}">${esc(d.backlogEntries)}</b> ${t('записей', 'entries')}, ${esc(d.backlogHours)} ч</span></div>
  <div class="kv"><span>${t('подтверждение', 'last ack')}: <b>${ago(d.lastAckAt)}</b></span><span>${t('контрподпись', 'cosignature')}: <b>${ago(d.lastCosignatureAt)}</b></span></div>
</section>`,
    )
    .join('\n');

  const events = s.events
    .slice(0, MAX_EVENTS)
    .map((e) => {
      const [ru, en, cls] = eventWords[e.type] ?? [e.type, e.type, ''];
      const summary = e.summary.length > 140 ? `${e.summary.slice(0, 139)}…` : e.summary;
      return `<li class="${cls}" data-type="${esc(e.type)}"><time datetime="${esc(e.at)}">${esc(fmt(e.at))}</time> <b>${esc(ru)}</b> <span class="en" lang="en">${esc(en)}</span>${e.meterId ? ` · <b>${esc(e.meterId)}</b>` : ''}${summary ? ` · <span class="sum" title="${esc(e.summary)}">${esc(summary).replace(/(\d) (s|h)\b/g, '$1&nbsp;$2').replace(/№ /g, '№&nbsp;')}</span>` : ''}</li>`;
    })
    .join('\n');

  const disk = g.disk ? `${bytes(g.disk.freeBytes)} ${t('из', 'of')} ${bytes(g.disk.totalBytes)}` : '—';
  const diskLow = g.disk !== null && g.disk.freeBytes < 0.05 * g.disk.totalBytes;
  const ntp = g.ntpSynchronized === null ? t('неизвестно', 'unknown') : g.ntpSynchronized ? badge('ok', 'синхронизировано', 'synchronized') : badge('bad', 'не синхронизировано', 'not synchronized');
  const upH = Math.floor(g.uptimeSeconds / 3600);
  const uptime = upH >= 48 ? `${Math.floor(upH / 24)} дн ${upH % 24} ч` : `${upH} ч ${Math.floor((g.uptimeSeconds % 3600) / 60)} мин`;

  return `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${esc(refreshSeconds)}">
<meta name="robots" content="noindex">
<title>opengkh ${esc(g.id)} — состояние шлюза / gateway status</title>
<style>
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:0;background:#f3f4f6;color:#111;overflow-wrap:anywhere}
header{background:#14532d;color:#fff;padding:10px 14px}header h1{font-size:18px;margin:0}header p{margin:2px 0 0;font-size:13px;opacity:.9}
header .en{color:#d1fae5}
main{padding:6px 8px 16px;max-width:720px;margin:auto}
.card{background:#fff;border-radius:8px;padding:10px 12px;margin:8px 0;box-shadow:0 1px 2px #0002;border-left:4px solid #16a34a}
.card.alarm{border-left-color:#dc2626}.card.plain{border-left-color:#9ca3af}
h2{font-size:16px;margin:18px 4px 4px}h3{font-size:16px;margin:0 0 2px;display:flex;flex-wrap:wrap;gap:4px 8px;align-items:center}
h3 small{font-weight:normal;color:#4b5563;font-size:13px}
.en{color:#6b7280;font-size:.88em;font-weight:normal}
.desc{margin:0;font-size:14px}.muted{color:#4b5563;font-size:13px;margin:2px 0}
.err{color:#991b1b;font-size:13px;margin:4px 0;background:#fef2f2;padding:4px 6px;border-radius:4px}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;background:#e5e7eb;font-size:12px;font-weight:normal}
.badge.ok{background:#dcfce7;color:#166534}.badge.bad{background:#fee2e2;color:#991b1b}.badge.warn{background:#fef3c7;color:#92400e}.badge .en{color:inherit;opacity:.75;font-size:1em}
.kv{display:flex;flex-wrap:wrap;gap:0 14px;font-size:13px;margin:3px 0}
.sys{border-top:1px solid #e5e7eb;margin-top:6px;padding-top:5px}.sys-h{font-size:14px}
.values{display:flex;flex-wrap:wrap;gap:1px 12px;font-size:13px;font-variant-numeric:tabular-nums;color:#1f2937}.v b{color:#4b5563;font-weight:600}
.summary{display:flex;flex-wrap:wrap;gap:4px 8px;margin:8px 2px}
dl{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:3px 10px;margin:0;font-size:13px}dt{color:#4b5563}dd{margin:0}
dt.wide,dd.wide{grid-column:1/-1}code{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
ul.events{list-style:none;padding:0;margin:0;font-size:13px}ul.events li{padding:4px 0 4px 8px;border-bottom:1px solid #f0f0f0;border-left:3px solid #d1d5db}
ul.events li.ok{border-left-color:#16a34a}ul.events li.bad{border-left-color:#dc2626}ul.events li.warn{border-left-color:#d97706}
ul.events time{font-variant-numeric:tabular-nums;color:#374151}.sum{color:#374151}
.warn-t{color:#92400e}footer{font-size:13px;color:#4b5563;margin:12px 4px}a{color:#166534}
</style>
</head>
<body>
<header><h1>${t('Шлюз', 'gateway')} ${esc(g.id)}</h1><p>${esc(fmt(g.now, true))} · ${esc(g.timeZone)}</p></header>
<main>
<div class="summary">${up.meters === s.meters.length ? badge('ok', `приборы ${up.meters}/${s.meters.length} на связи`, 'meters online') : badge('bad', `приборы ${up.meters}/${s.meters.length} на связи`, 'meters online')} ${up.dests === s.destinations.length ? badge('ok', `получатели ${up.dests}/${s.destinations.length}`, 'destinations up') : badge('bad', `получатели ${up.dests}/${s.destinations.length}`, 'destinations up')} ${backlog > 0 ? badge('warn', `очередь ${backlog}`, 'backlog') : badge('ok', 'очередь пуста', 'no backlog')}</div>
<section class="card plain" id="gateway"><dl>
<dt>${t('версия', 'version')}</dt><dd>${esc(g.version)}</dd>
<dt>${t('время', 'clock')}</dt><dd>${esc(fmt(g.now, true))}<br><span class="muted">${esc(g.now.slice(0, 19))}Z UTC</span></dd>
<dt>${t('синхронизация', 'NTP')}</dt><dd>${ntp}</dd>
<dt>${t('работает', 'uptime')}</dt><dd>${esc(uptime)} <span class="muted">${t('с', 'since')} ${esc(fmt(g.startedAt))}</span></dd>
<dt>${t('диск свободно', 'disk free')}</dt><dd>${diskLow ? `<span class="badge bad">${disk}</span>` : disk}</dd>
<dt>${t('база', 'store')}</dt><dd>${esc(bytes(g.storeBytes))}</dd>
<dt>${t('журнал', 'evidence log')}</dt><dd>${esc(g.logSize)} ${t('записей', 'entries')}<br>${t('контр. точка', 'checkpoint')} ${ago(g.lastCheckpointAt)}</dd>
<dt class="wide">${t('отпечаток ключа', 'key fingerprint')} <span class="en" lang="en">(SHA-256)</span></dt><dd class="wide"><code>${esc(g.keyFingerprint)}</code></dd>
</dl></section>
<h2>${t('Приборы учёта', 'Meters')}</h2>
${meters || `<p class="muted">${t('нет приборов в конфигурации', 'no meters configured')}</p>`}
<h2>${t('Получатели', 'Destinations')}</h2>
${dests || `<p class="muted">${t('получатели не настроены', 'no destinations configured')}</p>`}
<h2>${t('События', 'Recent events')}</h2>
<section class="card plain"><ul class="events">${events || '<li>—</li>'}</ul></section>
<footer>${t('Страница обновляется каждые', 'Refreshes every')} ${esc(refreshSeconds)} с · <a href="/api/status">JSON</a> · <a href="/metrics">metrics</a> · opengkh ${esc(g.version)}</footer>
</main>
</body>
</html>
`;
}
