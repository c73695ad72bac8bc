// The German preview page (scripts/render-lwc-preview.sh screenshots it):
// a person has switched the schedule to the last day of the month and
// mistyped a recipient, so the inline message and the note on the next runs
// show.
import ReportdScheduleEditor from 'c/reportdScheduleEditor';

jest.mock('../labels', () => ({ __esModule: true, default: require('./shared').labels('de') }));
jest.mock('@salesforce/i18n/lang', () => ({ __esModule: true, default: 'de' }), { virtual: true });

const { mountEditor, change } = require('./record');
const { writePreview } = require('./preview');

it('renders the German preview page of an edit in progress', async () => {
    const el = await mountEditor(ReportdScheduleEditor);
    const $ = (sel) => el.shadowRoot.querySelector(sel);
    await change($('select[data-preset="mode"]'), 'monthly');
    await change($('select[data-preset="monthDay"]'), 'L');
    await change($('[data-field="recipients"]'), 'vertrieb@example.com; chefin@example', 'input');
    const html = writePreview(el, 'lwc-editor-de', 'de');
    expect(html).toContain('Um 08:00 am letzten Tag des Monats, Europe/Berlin');
    expect(html).toContain('„chefin@example“ ist keine E-Mail-Adresse.');
    expect(html).toContain('value="0 8 L * *"');
});
