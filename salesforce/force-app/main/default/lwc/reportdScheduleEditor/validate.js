// Inline checks of what a person types, by the same rules as the object's
// validation rules and the daemon's own checks at sync (jobs/deliver/
// recipients.cpp split_recipients, jobs/deliver/mime.cpp validate_address,
// jobs/schedule_check.cpp for formats, the validation rules for the source). tests/jobs/deliver/
// recipients_table.json is checked against both. Messages come from custom
// labels (`L`). Pure.

import { parseCron } from './cron';
import { format } from './describe';

const SEPARATORS = /[,; \t\r\n\f\v]+/;
const SPECIALS = '()<>[]:;@\\,."';

function isAtext(c) {
    const u = c.charCodeAt(0);
    if (u >= 0x80 || u <= 0x20) return false;
    return !SPECIALS.includes(c);
}

function dotAtom(s, domainRules) {
    if (!s || s.startsWith('.') || s.endsWith('.') || s.includes('..')) return false;
    for (const c of s) {
        const ok = domainRules ? /^[A-Za-z0-9.-]$/.test(c) : isAtext(c) || c === '.';
        if (!ok) return false;
    }
    return true;
}

// As validate_address(): '' when fine, else a short reason code.
export function addressProblem(email) {
    if (!email || email.length > 254) return 'length';
    const at = email.lastIndexOf('@');
    if (at <= 0 || at + 1 === email.length) return 'shape';
    const local = email.slice(0, at);
    const domain = email.slice(at + 1);
    if (local.length > 64) return 'local-length';
    if (!dotAtom(local, false)) return 'local';
    if (!dotAtom(domain, true) || !domain.includes('.')) return 'domain';
    return '';
}

// As split_recipients(): {ok: true, addresses} (domains lower-cased, each
// address once ignoring case) or {ok: false, bad: the first bad item}.
export function splitRecipients(text) {
    const addresses = [];
    for (const item of String(text || '').split(SEPARATORS).filter((x) => x !== '')) {
        if (addressProblem(item)) return { ok: false, bad: item };
        const at = item.lastIndexOf('@');
        const address = item.slice(0, at + 1) + item.slice(at + 1).toLowerCase();
        if (!addresses.some((b) => b.toLowerCase() === address.toLowerCase())) addresses.push(address);
    }
    return { ok: true, addresses };
}

// The message under Recipients, '' when fine. `filesTarget`: Files_Target_Id__c.
export function recipientsMessage(form, filesTarget, L) {
    const split = splitRecipients(form.recipients);
    if (!split.ok) return format(L.badRecipient, split.bad);
    if (form.active && split.addresses.length === 0 && !String(filesTarget || '').trim()) {
        return L.recipientsRequired;
    }
    return '';
}

// As the Query_Required_For_SOQL and Report_Id_Required_For_Report rules.
export function sourceMessage(form, L) {
    if (form.source === 'SOQL' && !/^\s*SELECT\s/i.test(form.query)) return L.queryRequired;
    if (form.source === 'Report' && !/^00O[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$/.test(form.reportId.trim())) {
        return L.reportIdRequired;
    }
    return '';
}

export function formatsMessage(form, L) {
    return form.formats.length ? '' : L.formatsRequired;
}

// The message under Cron, '' when fine.
export function cronMessage(form, L) {
    const text = String(form.cron || '').trim();
    if (!text) return form.active ? L.cronRequired : '';
    const parsed = parseCron(text);
    if (parsed.ok) return '';
    const e = parsed.error;
    if (e.kind === 'count') return format(L.cronCount, e.text);
    if (e.kind === 'quartz') return L.cronQuartz;
    if (e.kind === 'macro') return format(L.cronMacro, e.text);
    const names = String(L.cronFieldNames).split(',');
    const order = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
    return format(L.cronField, names[order.indexOf(e.field)] || e.field, e.text);
}
