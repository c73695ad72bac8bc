// The read-back fields as reportd wrote them (jobs/sync/write_back.cpp,
// jobs/sync/next_fires.cpp), made readable without changing what they say:
// Next_Fires__c holds one RFC 3339 time per line in the schedule's zone
// ("2026-03-02T08:00:00+01:00"), shown with that same wall-clock time and
// offset. Pure.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2})?(Z|[+-]\d{2}:\d{2})$/;

// One line of Next_Fires__c: "Mon, Mar 2, 2026, 08:00 (UTC+01:00)"; a line
// that is not RFC 3339 is shown as it is.
export function fireText(line, lang) {
    const m = RFC3339.exec(String(line).trim());
    if (!m) return String(line).trim();
    const [, y, mo, d, hh, mm, off] = m;
    const date = new Intl.DateTimeFormat(lang, {
        weekday: 'short',
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        timeZone: 'UTC'
    }).format(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    return `${date}, ${hh}:${mm} (UTC${off === 'Z' ? '' : off})`;
}

export function nextFires(text, lang) {
    return String(text || '')
        .split(/\r?\n/)
        .filter((l) => l.trim() !== '')
        .map((l, i) => ({ key: `fire-${i}`, text: fireText(l, lang), raw: l.trim() }));
}

// Last_Run__c (an instant) in the schedule's zone when it is one Intl
// knows, else in UTC.
export function runText(iso, zone, lang) {
    if (!iso) return '';
    const t = Date.parse(iso);
    if (Number.isNaN(t)) return String(iso);
    const opts = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
    try {
        return new Intl.DateTimeFormat(lang, { ...opts, timeZone: zone || 'UTC' }).format(t);
    } catch (e) {
        return new Intl.DateTimeFormat(lang, { ...opts, timeZone: 'UTC' }).format(t);
    }
}

const BADGE = {
    Succeeded: 'slds-theme_success',
    Failed: 'slds-theme_error',
    Invalid: 'slds-theme_error',
    Skipped: 'slds-theme_warning',
    Paused: 'slds-theme_warning'
};

// The badge's SLDS class for a Last_Status__c word.
export function badgeClass(status) {
    return `slds-badge ${BADGE[status] || 'slds-badge_lightest'}`;
}

const FALLBACK_ZONES = ['UTC', 'Europe/London', 'Europe/Berlin', 'Europe/Paris', 'America/New_York',
    'America/Chicago', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney'];

// The IANA zones the browser knows (UTC first), plus `current` when it is
// not among them, so a stored value is never silently replaced.
export function zoneNames(current) {
    let all = FALLBACK_ZONES;
    if (typeof Intl.supportedValuesOf === 'function') all = Intl.supportedValuesOf('timeZone');
    const names = ['UTC', ...all.filter((z) => z !== 'UTC')];
    if (current && !names.includes(current)) names.unshift(current);
    return names;
}
