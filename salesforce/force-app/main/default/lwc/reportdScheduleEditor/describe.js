// A readable sentence for a parsed cron expression ("At 08:00 on Monday,
// Europe/Berlin") in the user's language: phrases come from custom labels
// (passed in as `L`, see labels.js), day and month names and list joins from
// Intl for `lang`. Pure; tests/jobs/cron_table.json holds the expected text.

import { nthItems, sorted } from './cron';

export function format(template, ...args) {
    return String(template).replace(/\{(\d)\}/g, (m, i) => (args[i] === undefined ? m : args[i]));
}

function join(list, lang, type = 'conjunction') {
    return new Intl.ListFormat(lang, { style: 'long', type }).format(list);
}

export function dayName(w, lang) {
    // 2023-01-01 was a Sunday.
    return new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }).format(
        Date.UTC(2023, 0, 1 + w)
    );
}

export function monthName(m, lang) {
    return new Intl.DateTimeFormat(lang, { month: 'long', timeZone: 'UTC' }).format(Date.UTC(2023, m - 1, 1));
}

const pad = (n) => String(n).padStart(2, '0');

// Runs of 3+ consecutive values become "A through B"; the rest stay single.
function runs(values, name, L) {
    const out = [];
    for (let i = 0; i < values.length; ) {
        let j = i;
        while (j + 1 < values.length && values[j + 1] === values[j] + 1) ++j;
        if (j - i >= 2) out.push(format(L.range, name(values[i]), name(values[j])));
        else for (let x = i; x <= j; ++x) out.push(name(values[x]));
        i = j + 1;
    }
    return out;
}

function isAll(values, lo, hi) {
    return values.length === hi - lo + 1;
}

// Step k > 1 when values are lo, lo+k, ... up to hi.
function everyStep(values, lo, hi) {
    for (let k = 2; k <= hi - lo; ++k) {
        const want = [];
        for (let v = lo; v <= hi; v += k) want.push(v);
        if (want.length >= 2 && want.join(',') === values.join(',')) return k;
    }
    return 0;
}

function timePhrase(e, L, lang) {
    const secs = sorted(e.seconds);
    const mins = sorted(e.minutes);
    const hours = sorted(e.hours);
    const list = (v) => join(v.map(String), lang);
    if (!e.hourStarred && secs.length === 1 && hours.length * mins.length <= 6) {
        const times = [];
        for (const h of hours) {
            for (const m of mins) times.push(`${pad(h)}:${pad(m)}` + (secs[0] ? `:${pad(secs[0])}` : ''));
        }
        return format(L.at, join(times, lang));
    }
    let minute;
    const minuteStep = everyStep(mins, 0, 59);
    if (isAll(mins, 0, 59)) minute = L.everyMinute;
    else if (minuteStep) minute = format(L.everyNMinutes, minuteStep);
    else minute = format(mins.length === 1 ? L.atMinute : L.atMinutes, list(mins));
    const everyMinuteish = isAll(mins, 0, 59) || minuteStep;

    let phrase;
    const hourStep = everyStep(hours, 0, 23);
    if (isAll(hours, 0, 23)) {
        if (everyMinuteish) phrase = minute;
        else if (mins.length === 1) phrase = format(L.everyHourAtMinute, mins[0]);
        else phrase = format(L.pastEveryHour, minute);
    } else if (e.hourStarred && hourStep) {
        phrase = mins.length === 1
            ? format(L.everyNHoursAtMinute, hourStep, mins[0])
            : format(L.pastEveryNHours, minute, hourStep);
    } else if (hours[hours.length - 1] - hours[0] === hours.length - 1 && hours.length > 1) {
        phrase = format(L.betweenHours, minute, `${pad(hours[0])}:00`, `${pad(hours[hours.length - 1])}:59`);
    } else {
        phrase = format(L.pastHours, minute, list(hours));
    }
    if (secs.length === 1 && secs[0] === 0) return phrase;
    const secondStep = everyStep(secs, 0, 59);
    let second;
    if (isAll(secs, 0, 59)) second = L.everySecond;
    else if (secondStep) second = format(L.everyNSeconds, secondStep);
    else second = format(secs.length === 1 ? L.atSecond : L.atSeconds, list(secs));
    if (isAll(mins, 0, 59) && isAll(hours, 0, 23)) return second;
    return format(L.secondThen, second, phrase.charAt(0).toLowerCase() + phrase.slice(1));
}

function dayOfMonthPhrases(e, L, lang) {
    const days = sorted(e.days);
    const out = [];
    if (e.dayOfMonthStarred) {
        const step = everyStep(days, 1, 31);
        if (step) out.push(format(L.everyNDays, step));
        return out;
    }
    if (days.length) {
        const items = runs(days, (d) => format(L.dayNumber, d), L);
        out.push(format(days.length === 1 ? L.onDayOfMonth : L.onDaysOfMonth, join(items, lang)));
    }
    for (const n of sorted(e.daysBeforeLast)) out.push(n === 0 ? L.lastDay : format(L.daysBeforeLast, n));
    for (const d of sorted(e.nearestWeekday)) out.push(format(L.nearestWeekday, d));
    if (e.lastWeekday) out.push(L.lastWeekday);
    return out;
}

function dayOfWeekPhrases(e, L, lang) {
    const out = [];
    const days = sorted(e.weekdays);
    if (days.length && !(e.dayOfWeekStarred && days.length === 7)) {
        const items = runs(days, (w) => dayName(w, lang), L);
        if (items.length === 1 && days.length > 1) out.push(format(L.onDayRange, dayName(days[0], lang), dayName(days[days.length - 1], lang)));
        else out.push(format(L.onDays, join(items, lang)));
    }
    const ordinals = String(L.ordinals).split(',');
    for (const w of sorted(e.lastOfWeekday)) out.push(format(L.lastWeekdayOfMonth, dayName(w, lang)));
    for (const [w, k] of nthItems(e)) out.push(format(L.nthWeekdayOfMonth, ordinals[k - 1], dayName(w, lang)));
    return out;
}

function dayPhrase(e, L, lang) {
    const dom = dayOfMonthPhrases(e, L, lang);
    const dow = dayOfWeekPhrases(e, L, lang);
    if (!dom.length && !dow.length) return '';
    if (!dom.length) return join(dow, lang);
    if (!dow.length) return join(dom, lang);
    // Vixie: with neither day field starred a day matches if either does.
    if (!e.dayOfMonthStarred && !e.dayOfWeekStarred) return join([...dom, ...dow], lang, 'disjunction');
    return format(L.bothDays, join(dom, lang), join(dow, lang));
}

function monthPhrase(e, L, lang) {
    const months = sorted(e.months);
    if (isAll(months, 1, 12)) return '';
    const items = runs(months, (m) => monthName(m, lang), L);
    if (items.length === 1 && months.length > 1) {
        return format(L.monthRange, monthName(months[0], lang), monthName(months[months.length - 1], lang));
    }
    return format(L.inMonths, join(items, lang));
}

// `zone`: the schedule's IANA zone, or '' for reportd's default zone.
export function describeCron(e, zone, L, lang) {
    const time = timePhrase(e, L, lang);
    const fixedTimes = !e.hourStarred && sorted(e.seconds).length === 1 && e.hours.size * e.minutes.size <= 6;
    let day = dayPhrase(e, L, lang);
    if (!day && fixedTimes) day = L.everyDay;
    const parts = [time, day, monthPhrase(e, L, lang)].filter((x) => x);
    return format(L.sentence, parts.join(' '), zone || L.defaultZone);
}
