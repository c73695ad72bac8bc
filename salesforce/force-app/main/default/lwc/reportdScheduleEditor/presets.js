// The cron helper's presets and their cron text in the daemon's dialect:
//   daily at HH:MM        -> "M H * * *"
//   weekly on a day       -> "M H * * D"   (D 0-6, Sunday = 0)
//   monthly on a day      -> "M H D * *"   (D 1-31, or L for the last day)
//   every N hours         -> "0 */N * * *" (N divides 24; N = 1 is "0 * * * *")
// presetOf() reads such text back, so the helper opens on what a record holds.
// Pure.

export const HOUR_STEPS = [1, 2, 3, 4, 6, 8, 12];

// {mode, time: 'HH:MM', weekday: 0-6, monthDay: '1'-'31' | 'L', hours: N}
export const DEFAULT_PRESET = { mode: 'daily', time: '08:00', weekday: 1, monthDay: '1', hours: 2 };

function hm(time) {
    const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(String(time || ''));
    return m ? [Number(m[1]), Number(m[2])] : null;
}

// The cron text of a preset, or '' when its inputs are incomplete.
export function presetCron(p) {
    if (p.mode === 'hours') {
        const n = Number(p.hours);
        if (!HOUR_STEPS.includes(n)) return '';
        return n === 1 ? '0 * * * *' : `0 */${n} * * *`;
    }
    const t = hm(p.time);
    if (!t) return '';
    const [h, m] = t;
    if (p.mode === 'daily') return `${m} ${h} * * *`;
    if (p.mode === 'weekly') {
        const w = Number(p.weekday);
        return Number.isInteger(w) && w >= 0 && w <= 6 ? `${m} ${h} * * ${w}` : '';
    }
    if (p.mode === 'monthly') {
        const d = String(p.monthDay);
        const ok = d === 'L' || (/^\d{1,2}$/.test(d) && Number(d) >= 1 && Number(d) <= 31);
        return ok ? `${m} ${h} ${d === 'L' ? 'L' : Number(d)} * *` : '';
    }
    return '';
}

const pad = (n) => String(n).padStart(2, '0');

// The preset that produces `cron` (as presetCron() writes it), or
// {mode: 'custom'} with the other inputs at their defaults.
export function presetOf(cron) {
    const f = String(cron || '').trim().split(/\s+/);
    const custom = { ...DEFAULT_PRESET, mode: 'custom' };
    if (f.length !== 5) return custom;
    const [mi, ho, dom, mon, dow] = f;
    if (mi === '0' && dom === '*' && mon === '*' && dow === '*') {
        if (ho === '*') return { ...DEFAULT_PRESET, mode: 'hours', hours: 1 };
        const step = /^\*\/(\d+)$/.exec(ho);
        if (step && HOUR_STEPS.includes(Number(step[1]))) {
            return { ...DEFAULT_PRESET, mode: 'hours', hours: Number(step[1]) };
        }
    }
    if (!/^\d{1,2}$/.test(mi) || !/^\d{1,2}$/.test(ho) || mon !== '*') return custom;
    if (Number(mi) > 59 || Number(ho) > 23) return custom;
    const time = `${pad(ho)}:${pad(mi)}`;
    if (dom === '*' && dow === '*') return { ...DEFAULT_PRESET, mode: 'daily', time };
    if (dom === '*' && /^[0-7]$/.test(dow)) {
        return { ...DEFAULT_PRESET, mode: 'weekly', time, weekday: Number(dow) % 7 };
    }
    if (dow === '*' && (dom === 'L' || (/^\d{1,2}$/.test(dom) && Number(dom) >= 1 && Number(dom) <= 31))) {
        return { ...DEFAULT_PRESET, mode: 'monthly', time, monthDay: dom === 'L' ? 'L' : String(Number(dom)) };
    }
    return custom;
}
