// Recipients and formats are checked as they are typed, by the daemon's
// rules: the recipients table is shared with tests/jobs/deliver/
// recipients_table_test.cpp (split_recipients).
import { splitRecipients, recipientsMessage, formatsMessage, sourceMessage } from '../validate';

const { labels, table } = require('./shared');

const EN = labels('en');
const DE = labels('de');
const CASES = table('tests/jobs/deliver/recipients_table.json');

describe('recipients table shared with the daemon', () => {
    it.each(CASES.map((c) => [JSON.stringify(c.text), c]))('%s', (_, c) => {
        const got = splitRecipients(c.text);
        if (c.bad !== undefined) expect(got).toEqual({ ok: false, bad: c.bad });
        else expect(got).toEqual({ ok: true, addresses: c.addresses });
    });
});

describe('messages under Recipients and Formats', () => {
    const form = (over) => ({ active: true, cron: '@daily', zone: '', formats: ['CSV'], recipients: '', ...over });

    it('names the first bad address in the user language', () => {
        const f = form({ recipients: 'sales@example.com, ceo@example' });
        expect(recipientsMessage(f, '', EN)).toBe(
            '“ceo@example” is not an e-mail address. Separate addresses with commas, semicolons or line breaks.');
        expect(recipientsMessage(f, '', DE)).toMatch(/^„ceo@example“ ist keine E-Mail-Adresse\./);
    });

    it('asks for a recipient on an active schedule without a Files target, as Recipients_Required does', () => {
        expect(recipientsMessage(form(), '', EN)).toMatch(/^Give at least one recipient/);
        expect(recipientsMessage(form(), '001000000000001AAA', EN)).toBe('');
        expect(recipientsMessage(form({ active: false }), '', EN)).toBe('');
        expect(recipientsMessage(form({ recipients: 'a@example.com' }), '', EN)).toBe('');
    });

    it('asks for at least one format', () => {
        expect(formatsMessage(form({ formats: [] }), EN)).toBe('Choose at least one format.');
        expect(formatsMessage(form({ formats: [] }), DE)).toBe('Wählen Sie mindestens ein Format.');
        expect(formatsMessage(form(), EN)).toBe('');
    });
});

describe('messages under Source', () => {
    const form = (over) => ({ source: 'SOQL', query: '', reportId: '', ...over });

    it('asks for a SELECT query or a report id, as the validation rules do', () => {
        expect(sourceMessage(form(), EN)).toMatch(/^Source Type SOQL needs a query starting with SELECT/);
        expect(sourceMessage(form({ query: '  select Id\nFROM Case' }), EN)).toBe('');
        expect(sourceMessage(form({ source: 'Report', reportId: '00O5g00000AbCdEFGH' }), EN)).toBe('');
        expect(sourceMessage(form({ source: 'Report', reportId: '00O5g00000AbCdEF' }), DE)).toMatch(/^Quelltyp Report braucht/);
        expect(sourceMessage(form({ source: '' }), EN)).toBe(''); // reportd decides from what is filled in
    });
});
