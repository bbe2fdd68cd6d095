/**
 * Renders a MonthlyReport as CSV (semicolon-separated, UTF-8, decimal point, CRLF — opens in a Russian
 * Excel/LibreOffice as columns) and as a printable A4 HTML page in Russian. Deterministic: the output
 * depends only on the report (no clock, no locale of the machine), so both sides get the same bytes.
 */
import { MEAN_PARAMS, type LedgerRow, type MonthlyReport } from './report.js';
import type { ParamVerdict } from './verdict.js';
import { localTime } from './time.js';

/** `YYYY-MM-DD HH:MM` wall clock in the report's time zone. */
function wall(ms: number, tz: string): string {
  const l = localTime(ms, tz);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${two(l.month)}-${two(l.day)} ${two(l.hour)}:${two(l.minute)}`;
}

const UNIT_RU: Record<string, string> = { Gcal: 'Гкал', GJ: 'ГДж', MWh: 'МВт·ч', kWh: 'кВт·ч', t: 'т', m3: 'м³', 'm³': 'м³', C: '°C', '°C': '°C', degC: '°C', MPa: 'МПа', h: 'ч' };
/** Russian unit label of a logged unit (unknown units pass through). */
export function unitRu(u: string | undefined, fallback: string): string {
  if (u === undefined) return fallback;
  return UNIT_RU[u] ?? u;
}

const PARAM_RU: Record<string, string> = { t1: 't1 (подача)', t2: 't2 (обратка)', t3: 't3', P1: 'P1', P2: 'P2', dP: 'ΔP = P1 − P2' };
const VERDICT_RU: Record<string, string> = { ok: 'норма', below: 'ниже', above: 'выше', 'no-data': 'нет данных' };
const MEAN_DEC: Record<string, number> = { t1: 2, t2: 2, P1: 3, P2: 3 };

function fmt(x: number | null, dec: number): string {
  return x === null ? '' : x.toFixed(dec);
}
/** Up to 6 places, trailing zeros dropped (percentages, deviations). */
function fmtShort(x: number | null): string {
  if (x === null) return '';
  return String(Number(x.toFixed(6)));
}

function columns(r: MonthlyReport): { head: string; cell: (row: LedgerRow) => string }[] {
  const u = r.units;
  return [
    { head: 'Дата', cell: (x) => x.label },
    { head: `Q, ${unitRu(u.Q, 'Гкал')}`, cell: (x) => fmt(x.sums.Q, r.decimals.Q) },
    { head: `M1, ${unitRu(u.M1, 'т')}`, cell: (x) => fmt(x.sums.M1, r.decimals.M1) },
    { head: `M2, ${unitRu(u.M2, 'т')}`, cell: (x) => fmt(x.sums.M2, r.decimals.M2) },
    { head: `M1−M2, ${unitRu(u.M1, 'т')}`, cell: (x) => fmt(x.dM, Math.max(r.decimals.M1, r.decimals.M2)) },
    ...MEAN_PARAMS.map((p) => ({ head: `${p} ср., ${unitRu(u[p], p.startsWith('t') ? '°C' : 'МПа')}`, cell: (x: LedgerRow) => fmt(x.means[p], MEAN_DEC[p]!) })),
    { head: 'Тнр, ч', cell: (x) => fmt(x.sums.hoursNormal, r.decimals.hoursNormal) },
    { head: 'Тош (НС), ч', cell: (x) => fmt(x.sums.hoursError, r.decimals.hoursError) },
    { head: 'Часов с данными', cell: (x) => `${x.hoursWithData}/${x.hours}` },
  ];
}

function verdictText(v: ParamVerdict): string {
  const parts = [`${v.param}: ${VERDICT_RU[v.verdict]}`];
  if (v.measured !== null) parts.push(`изм. ${fmtShort(v.measured)}`);
  if (v.expected !== null) parts.push(`норм. ${fmtShort(v.expected)}`);
  if (v.low !== null || v.high !== null) parts.push(`допуск ${fmtShort(v.low) || '−∞'}…${fmtShort(v.high) || '+∞'}`);
  if (v.night !== undefined) parts.push(v.night ? 'ночь' : 'день');
  return parts.join(' ');
}

function header(r: MonthlyReport): [string, string][] {
  return [
    ['Шлюз', r.gatewayId],
    ['Прибор учёта', r.meterId],
    ['Тепловая система', `ТС${r.system}${r.systemName ? ` (${r.systemName})` : ''}`],
    ['Месяц', r.month],
    ['Часовой пояс', r.tz],
    ['Режимная карта', r.mapIds.join(', ') || 'не задана'],
    ['Вид', r.kind === 'hotWater' ? 'ГВС' : r.kind === 'heating' ? 'отопление' : '—'],
    ['Записей журнала прочитано', String(r.logSize)],
  ];
}

function claimLines(r: MonthlyReport): [string, string][] {
  const out: [string, string][] = [];
  const lim = r.interruptionLimits;
  out.push(['Часов перерыва', String(r.interruptionHours)]);
  if (lim) {
    const clause = r.kind === 'hotWater' ? 'ПП 354 прил. 1 п. 4' : 'ПП 354 прил. 1 п. 14';
    out.push([`Допустимо (${clause}), ч`, `${fmtShort(lim.monthHours)} за месяц, ${fmtShort(lim.onceHours)} единовременно`]);
    out.push(['Часов сверх допустимого', String(r.interruptionExcessHours)]);
    out.push([`Снижение за перерывы (${fmtShort(lim.percentPerHour)} % за час), %`, fmtShort(r.interruptionPercent)]);
  }
  if (r.hotWater) {
    out.push(['Часов с отступлением сверх допустимого (ГВС)', String(r.hotWater.hoursBeyond)]);
    out.push(['Ступеней по 3 °C (сумма по часам)', String(r.hotWater.steps)]);
    out.push(['Снижение за температуру ГВС (ПП 354 прил. 1 п. 5), %', fmtShort(r.hotWater.percent)]);
    out.push(['Часов ниже 40 °C (оплата по тарифу ХВС)', String(r.hotWater.coldHours)]);
  }
  out.push(['Итого снижение платы за месяц, %', fmtShort(r.claimPercent)]);
  return out;
}

function csvCell(s: string): string {
  return /[;"\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report as CSV: header block, ведомость, violations, interruptions, claim, hours with remarks. */
export function toCsv(r: MonthlyReport): string {
  const lines: string[][] = [];
  lines.push(['Ведомость учёта тепловой энергии и теплоносителя']);
  for (const [k, v] of header(r)) lines.push([k, v]);
  lines.push([]);
  const cols = columns(r);
  lines.push(cols.map((c) => c.head));
  for (const d of r.days) lines.push(cols.map((c) => c.cell(d)));
  lines.push(cols.map((c) => c.cell(r.total)));
  lines.push([]);
  lines.push(['Нарушения режима, часов', 'ниже', 'выше', 'нет данных']);
  for (const v of r.violations) lines.push([PARAM_RU[v.param] ?? v.param, String(v.below), String(v.above), String(v.noData)]);
  lines.push([]);
  lines.push(['Перерывы (местное время)', 'начало', 'конец', 'часов']);
  r.interruptions.forEach((x, i) => lines.push([String(i + 1), wall(x.start, r.tz), wall(x.end, r.tz), String(x.hours)]));
  lines.push([]);
  lines.push(['Расчёт снижения платы (ПП 354)']);
  for (const [k, v] of claimLines(r)) lines.push([k, v]);
  lines.push([]);
  lines.push(['Час (местное время)', 'замечание', 'ступеней', 'вердикты']);
  for (const n of r.notes) {
    const what = [n.noData ? 'нет данных' : '', n.interrupted ? 'перерыв' : '', n.cold ? 'ниже 40 °C' : ''].filter(Boolean).join(', ');
    lines.push([n.local, what, String(n.steps), n.verdicts.filter((v) => v.verdict !== 'ok').map(verdictText).join(' | ')]);
  }
  return `${lines.map((l) => l.map(csvCell).join(';')).join('\r\n')}\r\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The report as one self-contained, printable HTML page (A4, Russian). */
export function toHtml(r: MonthlyReport): string {
  const cols = columns(r);
  const tr = (cells: string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  const kv = (rows: [string, string][]) => `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
  const notes = r.notes
    .map((n) => {
      const what = [n.noData ? 'нет данных' : '', n.interrupted ? 'перерыв' : '', n.cold ? 'ниже 40 °C' : ''].filter(Boolean).join(', ');
      return tr([n.local, what, String(n.steps), n.verdicts.filter((v) => v.verdict !== 'ok').map(verdictText).join('; ')]);
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<title>Ведомость ${esc(r.meterId)} ТС${r.system} ${esc(r.month)}</title>
<style>
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; color: #000; }
h1 { font-size: 13pt; margin: 0 0 6pt; } h2 { font-size: 11pt; margin: 12pt 0 4pt; }
table { border-collapse: collapse; margin-bottom: 6pt; }
td, th { border: 0.5pt solid #444; padding: 1.5pt 4pt; }
table.ledger td { text-align: right; } table.ledger td:first-child { text-align: left; }
table.ledger tr:last-child td { font-weight: bold; }
table.kv th { text-align: left; font-weight: normal; background: #eee; }
thead { display: table-header-group; } tr { page-break-inside: avoid; }
.sign { margin-top: 18pt; } .sign td { border: none; padding: 8pt 24pt 0 0; }
</style>
</head>
<body>
<h1>Ведомость учёта тепловой энергии и теплоносителя</h1>
${kv(header(r))}
<h2>Суточные значения</h2>
<table class="ledger">
<thead>${tr(cols.map((c) => c.head), 'th')}</thead>
<tbody>
${r.days.map((d) => tr(cols.map((c) => c.cell(d)))).join('\n')}
${tr(cols.map((c) => c.cell(r.total)))}
</tbody>
</table>
<h2>Нарушения режима, часов</h2>
<table>
${tr(['Параметр', 'ниже', 'выше', 'нет данных'], 'th')}
${r.violations.map((v) => tr([PARAM_RU[v.param] ?? v.param, String(v.below), String(v.above), String(v.noData)])).join('\n')}
</table>
<h2>Перерывы подачи</h2>
<table>
${tr(['№', 'начало (местное время)', 'конец', 'часов'], 'th')}
${r.interruptions.map((x, i) => tr([String(i + 1), wall(x.start, r.tz), wall(x.end, r.tz), String(x.hours)])).join('\n')}
</table>
<h2>Расчёт снижения платы (ПП РФ № 354, приложение 1)</h2>
${kv(claimLines(r))}
<h2>Часы с замечаниями</h2>
<table>
<thead>${tr(['Час (местное время)', 'замечание', 'ступеней', 'вердикты'], 'th')}</thead>
<tbody>
${notes}
</tbody>
</table>
<table class="sign"><tr><td>Представитель УК: ____________________</td><td>Представитель РСО: ____________________</td></tr></table>
</body>
</html>
`;
}
