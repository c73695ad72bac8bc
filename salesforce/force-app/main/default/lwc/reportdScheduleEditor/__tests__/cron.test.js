// The cron table shared with the daemon (tests/jobs/cron_table.json, also
// read by tests/jobs/cron_table_test.cpp): the component parses each
// expression to the daemon's normalised form and kind, reports the same bad
// field, and describes it in English and German.
import { parseCron, normalize, kind } from '../cron';
import { describeCron } from '../describe';
import { cronMessage } from '../validate';

const { labels, table } = require('./shared');

const CASES = table('tests/jobs/cron_table.json');
const GOOD = CASES.filter((c) => !c.error);
const BAD = CASES.filter((c) => c.error);
const EN = labels('en');
const DE = labels('de');

describe('cron table shared with reportd cron explain', () => {
    it('has enough cases on both sides', () => {
        expect(GOOD.length).toBeGreaterThanOrEqual(20);
        expect(BAD.length).toBeGreaterThanOrEqual(10);
    });

    it.each(GOOD.map((c) => [c.expression, c]))('%s normalises as the daemon does', (_, c) => {
        const parsed = parseCron(c.expression);
        expect(parsed.ok).toBe(true);
        expect(normalize(parsed.expr)).toBe(c.normalized);
        expect(kind(parsed.expr)).toBe(c.kind);
    });

    it.each(GOOD.map((c) => [c.expression, c]))('%s is described in English', (_, c) => {
        expect(describeCron(parseCron(c.expression).expr, c.zone, EN, 'en-US')).toBe(c.en);
    });

    it.each(GOOD.map((c) => [c.expression, c]))('%s is described in German', (_, c) => {
        expect(describeCron(parseCron(c.expression).expr, c.zone, DE, 'de')).toBe(c.de);
    });

    it.each(BAD.map((c) => [c.expression, c]))('%s is refused naming the same field', (_, c) => {
        const parsed = parseCron(c.expression);
        expect(parsed.ok).toBe(false);
        expect(parsed.error.kind).toBe(c.error.kind);
        if (c.error.field) expect(parsed.error.field).toBe(c.error.field);
        if (c.error.text) expect(parsed.error.text).toBe(c.error.text);
    });
});

describe('cron messages under the field', () => {
    const form = (cron, active = true) => ({ cron, active, zone: '', formats: ['CSV'], recipients: '' });

    it('names the field and its text, in the user language', () => {
        expect(cronMessage(form('61 8 * * *'), EN)).toBe('The minute field “61” is not valid.');
        expect(cronMessage(form('61 8 * * *'), DE)).toBe('Das Feld Minute „61“ ist ungültig.');
        expect(cronMessage(form('0 8 * * L'), EN)).toBe('The day-of-week field “L” is not valid.');
    });

    it('says how many fields to give, and what a Quartz expression needs', () => {
        expect(cronMessage(form('0 8 * *'), EN)).toMatch(/^Give 5 fields .* this has 4\.$/);
        expect(cronMessage(form('0 0 8 ? * MON *'), EN)).toMatch(/^7 fields look like a Quartz expression/);
        expect(cronMessage(form('@fortnightly'), EN)).toMatch(/^@fortnightly is not known/);
    });

    it('asks for a cron only on an active schedule, as the Cron_Required rule does', () => {
        expect(cronMessage(form('', true), EN)).toMatch(/^An active schedule needs a cron expression/);
        expect(cronMessage(form('   ', false), EN)).toBe('');
        expect(cronMessage(form('@daily'), EN)).toBe('');
    });
});
