// The editor for a user whose language is German: the labels come from
// translations/de.translation-meta.xml, day and month names from Intl.
import ReportdScheduleEditor from 'c/reportdScheduleEditor';

jest.mock('../labels', () => ({ __esModule: true, default: require('./shared').labels('de') }));
jest.mock('@salesforce/i18n/lang', () => ({ __esModule: true, default: 'de' }), { virtual: true });

const { mountEditor, change, unmountAll } = require('./record');

afterEach(unmountAll);

it('speaks German: description, presets, messages and next runs', async () => {
    const el = await mountEditor(ReportdScheduleEditor);
    const $ = (sel) => el.shadowRoot.querySelector(sel);
    expect($('[data-id="description"]').textContent).toBe('Um 08:00 am Montag, Europe/Berlin');
    const weekday = $('select[data-preset="weekday"]');
    expect([...weekday.options].map((o) => o.textContent)).toEqual(
        ['Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag', 'Sonntag']);
    expect($('h2.slds-card__header-title').textContent).toBe('Berichtszeitplan');
    expect($('[data-id="next-fires"] li').textContent).toBe('Mo., 2. März 2026, 08:00 (UTC+01:00)');

    await change(weekday, '5');
    expect($('[data-id="cron"]').value).toBe('0 8 * * 5');
    expect($('[data-id="description"]').textContent).toBe('Um 08:00 am Freitag, Europe/Berlin');

    expect($('[data-id="burst-label"]').textContent).toBe('Burst: als jeder Empfänger ausführen');
    expect($('[data-id="burst-help"]').textContent).toMatch(
        /^Jeder Empfänger, der aktiver Benutzer dieser Org ist, erhält den Bericht ausgeführt als er selbst/);

    await change($('[data-field="recipients"]'), 'vertrieb@example', 'input');
    expect($('[data-id="recipients-error"]').textContent).toMatch(/^„vertrieb@example“ ist keine E-Mail-Adresse\./);
});
