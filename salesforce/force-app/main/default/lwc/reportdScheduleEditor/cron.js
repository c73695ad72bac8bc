// The daemon's cron dialect (DESIGN.md §4.1), ported from jobs/cron.cpp:
// parseCron() turns text into the same fields the daemon holds and
// normalize() prints the daemon's normalised form (`reportd cron explain`'s
// "expression:" line). tests/jobs/cron_table.json is checked against both.
// Pure; no Salesforce imports.

const SPECS = {
    second: [0, 59],
    minute: [0, 59],
    hour: [0, 23],
    'day-of-month': [1, 31],
    month: [1, 12],
    'day-of-week': [0, 7] // 7 is Sunday on input, stored as 0
};
const ORDER = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MACROS = {
    '@YEARLY': '0 0 1 1 *',
    '@ANNUALLY': '0 0 1 1 *',
    '@MONTHLY': '0 0 1 * *',
    '@WEEKLY': '0 0 * * 0',
    '@DAILY': '0 0 * * *',
    '@MIDNIGHT': '0 0 * * *',
    '@HOURLY': '0 * * * *'
};

// An error: {kind: 'count' | 'quartz' | 'macro' | 'field', field, text}.
class CronError extends Error {
    constructor(kind, field, text) {
        super(`${kind} ${field || ''} ${text || ''}`.trim());
        this.kind = kind;
        this.field = field;
        this.text = text;
    }
}

function emptyExpr() {
    return {
        seconds: new Set(),
        minutes: new Set(),
        hours: new Set(),
        days: new Set(),
        daysBeforeLast: new Set(), // n for `L-n` (`L` is 0)
        nearestWeekday: new Set(), // d for `dW`
        lastWeekday: false, // `LW`
        months: new Set(),
        weekdays: new Set(), // Sunday = 0
        lastOfWeekday: new Set(), // w for `wL`
        nthWeekday: new Set(), // [w, k] as `${w}#${k}`
        dayOfMonthStarred: false,
        dayOfWeekStarred: false,
        hourStarred: false
    };
}

const SET_OF = {
    second: 'seconds',
    minute: 'minutes',
    hour: 'hours',
    'day-of-month': 'days',
    month: 'months',
    'day-of-week': 'weekdays'
};

function fail(field, text) {
    throw new CronError('field', field, text);
}

function parseNumber(s, field, text) {
    if (!/^[0-9]{1,3}$/.test(s)) fail(field, text);
    return Number(s);
}

function parseStep(s, field, text) {
    const [lo, hi] = SPECS[field];
    const n = parseNumber(s, field, text);
    if (n < 1 || n > hi - lo + 1) fail(field, text);
    return n;
}

function parseValue(s, field, text) {
    const u = s.toUpperCase();
    if (field === 'month' || field === 'day-of-week') {
        const names = field === 'month' ? MONTHS : DAYS;
        const i = names.indexOf(u);
        if (i >= 0) return field === 'month' ? i + 1 : i;
    }
    const n = parseNumber(s, field, text);
    const [lo, hi] = SPECS[field];
    if (n < lo || n > hi) fail(field, text);
    return n;
}

function setValue(e, field, v) {
    e[SET_OF[field]].add(field === 'day-of-week' ? v % 7 : v);
}

function parseDomSpecial(e, item, text) {
    const u = item.toUpperCase();
    const field = 'day-of-month';
    if (u === 'L') e.daysBeforeLast.add(0);
    else if (u === 'LW') e.lastWeekday = true;
    else if (u.startsWith('L-')) {
        const n = parseNumber(item.slice(2), field, text);
        if (n > 30) fail(field, text);
        e.daysBeforeLast.add(n);
    } else if (u.length >= 2 && u.endsWith('W')) {
        e.nearestWeekday.add(parseValue(item.slice(0, -1), field, text));
    } else fail(field, text);
}

function parseDowSpecial(e, item, text) {
    const u = item.toUpperCase();
    const field = 'day-of-week';
    if (u === 'L') fail(field, text);
    const hash = u.indexOf('#');
    if (hash >= 0) {
        const w = parseValue(item.slice(0, hash), field, text) % 7;
        const k = parseNumber(item.slice(hash + 1), field, text);
        if (k < 1 || k > 5) fail(field, text);
        e.nthWeekday.add(`${w}#${k}`);
        return;
    }
    e.lastOfWeekday.add(parseValue(item.slice(0, -1), field, text) % 7);
}

function parseItem(e, field, item, text) {
    const u = item.toUpperCase();
    if (field === 'day-of-month' && /[LW]/.test(u)) return parseDomSpecial(e, item, text);
    if (field === 'day-of-week' && (u.includes('#') || u.endsWith('L'))) {
        return parseDowSpecial(e, item, text);
    }
    let base = item;
    let step = 1;
    let stepped = false;
    const slash = item.indexOf('/');
    if (slash >= 0) {
        base = item.slice(0, slash);
        step = parseStep(item.slice(slash + 1), field, text);
        stepped = true;
    }
    let a;
    let b;
    const dash = base.indexOf('-');
    if (dash >= 0) {
        a = parseValue(base.slice(0, dash), field, text);
        b = parseValue(base.slice(dash + 1), field, text);
        if (a > b) fail(field, text);
    } else {
        a = parseValue(base, field, text);
        b = stepped ? SPECS[field][1] : a; // `5/10` means 5-max/10
    }
    for (let v = a; v <= b; v += step) setValue(e, field, v);
    return undefined;
}

function parseStar(e, field, text) {
    const dayField = field === 'day-of-month' || field === 'day-of-week';
    if (text === '?' && !dayField) fail(field, text);
    const step = text.startsWith('*/') ? parseStep(text.slice(2), field, text) : 1;
    const [lo] = SPECS[field];
    const hi = field === 'day-of-week' ? 6 : SPECS[field][1];
    for (let v = lo; v <= hi; v += step) setValue(e, field, v);
    if (field === 'hour') e.hourStarred = true;
    if (field === 'day-of-month') e.dayOfMonthStarred = true;
    if (field === 'day-of-week') e.dayOfWeekStarred = true;
}

function parseField(e, field, text) {
    const list = text.includes(',');
    if (!list && (text === '*' || text.startsWith('*/') || text === '?')) {
        parseStar(e, field, text);
        return;
    }
    if (/[*?]/.test(text)) fail(field, text);
    for (const item of text.split(',')) {
        if (item === '') fail(field, text);
        parseItem(e, field, item, text);
    }
}

// Throws CronError; returns the parsed expression.
function parseOrThrow(text) {
    let f = String(text || '').trim().split(/\s+/).filter((x) => x !== '');
    if (f.length === 1 && f[0].startsWith('@')) {
        const expanded = MACROS[f[0].toUpperCase()];
        if (!expanded) throw new CronError('macro', null, f[0]);
        f = expanded.split(' ');
    }
    if (f.length === 7) throw new CronError('quartz', null, f.join(' '));
    if (f.length !== 5 && f.length !== 6) throw new CronError('count', null, String(f.length));
    const e = emptyExpr();
    const first = f.length === 6 ? 0 : 1;
    if (first === 1) e.seconds.add(0);
    f.forEach((text, i) => parseField(e, ORDER[first + i], text));
    return e;
}

// {ok: true, expr} or {ok: false, error: {kind, field, text}}.
export function parseCron(text) {
    try {
        return { ok: true, expr: parseOrThrow(text) };
    } catch (err) {
        if (!(err instanceof CronError)) throw err;
        return { ok: false, error: { kind: err.kind, field: err.field, text: err.text } };
    }
}

export function sorted(set) {
    return [...set].sort((a, b) => a - b);
}

// --- printing, as to_string() in jobs/cron.cpp

// Step k when `values` is exactly lo, lo+k, ... up to hi (0 when it is not).
function starStep(values, lo, hi) {
    const key = sorted(values).join(',');
    for (let k = 1; k <= hi - lo + 1; ++k) {
        const want = [];
        for (let v = lo; v <= hi; v += k) want.push(v);
        if (want.join(',') === key) return { k, count: want.length };
    }
    return { k: 0, count: 0 };
}

function printValues(values, lo, hi, starAllowed, starred = false) {
    if (starAllowed || starred) {
        const { k, count } = starStep(values, lo, hi);
        if (k === 1) return '*';
        if (k > 1 && (count >= 2 || starred)) return `*/${k}`;
    }
    const v = sorted(values);
    if (v.length >= 3) {
        const k = v[1] - v[0];
        let progression = k >= 2;
        for (let i = 2; progression && i < v.length; ++i) progression = v[i] - v[i - 1] === k;
        if (progression) return `${v[0]}-${v[v.length - 1]}/${k}`;
    }
    const out = [];
    for (let i = 0; i < v.length; ) {
        let j = i;
        while (j + 1 < v.length && v[j + 1] === v[j] + 1) ++j;
        if (j - i >= 2) out.push(`${v[i]}-${v[j]}`);
        else for (let x = i; x <= j; ++x) out.push(String(v[x]));
        i = j + 1;
    }
    return out.join(',');
}

function printDayOfMonth(e) {
    if (e.dayOfMonthStarred) return printValues(e.days, 1, 31, true, true);
    const out = [printValues(e.days, 1, 31, false)].filter((x) => x !== '');
    for (const n of sorted(e.daysBeforeLast)) out.push(n === 0 ? 'L' : `L-${n}`);
    for (const d of sorted(e.nearestWeekday)) out.push(`${d}W`);
    if (e.lastWeekday) out.push('LW');
    return out.join(',');
}

export function nthItems(e) {
    // Ordered as the daemon's bit index (k-1)*7 + w.
    return [...e.nthWeekday]
        .map((s) => s.split('#').map(Number))
        .sort((a, b) => (a[1] - 1) * 7 + a[0] - ((b[1] - 1) * 7 + b[0]));
}

function printDayOfWeek(e) {
    if (e.dayOfWeekStarred) return printValues(e.weekdays, 0, 6, true, true);
    const out = [printValues(e.weekdays, 0, 6, false)].filter((x) => x !== '');
    for (const w of sorted(e.lastOfWeekday)) out.push(`${w}L`);
    for (const [w, k] of nthItems(e)) out.push(`${w}#${k}`);
    return out.join(',');
}

// The daemon's normalised form: numbers only, 5 fields when seconds is just 0.
export function normalize(e) {
    const parts = [];
    if (!(e.seconds.size === 1 && e.seconds.has(0))) parts.push(printValues(e.seconds, 0, 59, true));
    parts.push(printValues(e.minutes, 0, 59, true));
    parts.push(printValues(e.hours, 0, 23, false, e.hourStarred));
    parts.push(printDayOfMonth(e));
    parts.push(printValues(e.months, 1, 12, true));
    parts.push(printDayOfWeek(e));
    return parts.join(' ');
}

// "interval-like" when the hour field starts with `*` (DESIGN.md §4.2).
export function kind(e) {
    return e.hourStarred ? 'interval-like' : 'fixed-time';
}
