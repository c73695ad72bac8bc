// The cron helper's presets write the daemon's dialect, and read it back.
import { presetCron, presetOf, DEFAULT_PRESET } from '../presets';
import { parseCron, normalize } from '../cron';

const p = (over) => ({ ...DEFAULT_PRESET, ...over });

describe('presets', () => {
    it.each([
        [p({ mode: 'daily', time: '08:00' }), '0 8 * * *'],
        [p({ mode: 'daily', time: '23:59' }), '59 23 * * *'],
        [p({ mode: 'weekly', time: '08:00', weekday: 1 }), '0 8 * * 1'],
        [p({ mode: 'weekly', time: '07:30', weekday: '0' }), '30 7 * * 0'],
        [p({ mode: 'monthly', time: '06:30', monthDay: '1' }), '30 6 1 * *'],
        [p({ mode: 'monthly', time: '18:00', monthDay: 'L' }), '0 18 L * *'],
        [p({ mode: 'hours', hours: 1 }), '0 * * * *'],
        [p({ mode: 'hours', hours: '6' }), '0 */6 * * *']
    ])('%j gives %s', (preset, cron) => {
        expect(presetCron(preset)).toBe(cron);
        // It parses, and is already in the daemon's normalised form.
        const parsed = parseCron(cron);
        expect(parsed.ok).toBe(true);
        expect(normalize(parsed.expr)).toBe(cron);
        // Read back with numbers where the <select> gave text.
        expect(presetOf(cron)).toEqual({ ...preset, weekday: Number(preset.weekday), hours: Number(preset.hours) });
    });

    it('gives nothing for incomplete inputs', () => {
        expect(presetCron(p({ mode: 'daily', time: '' }))).toBe('');
        expect(presetCron(p({ mode: 'daily', time: '24:00' }))).toBe('');
        expect(presetCron(p({ mode: 'monthly', monthDay: '32' }))).toBe('');
        expect(presetCron(p({ mode: 'hours', hours: 5 }))).toBe(''); // 5 does not divide 24
        expect(presetCron(p({ mode: 'custom' }))).toBe('');
    });

    it('opens anything else as custom', () => {
        for (const cron of ['0 8 * * 1-5', '*/15 * * * *', '@daily', '0 0 8 * * *', '0 8 1 1 *', '0 */5 * * *', '']) {
            expect(presetOf(cron).mode).toBe('custom');
        }
        expect(presetOf('0 8 * * 7')).toEqual(p({ mode: 'weekly', time: '08:00', weekday: 0 }));
    });
});
