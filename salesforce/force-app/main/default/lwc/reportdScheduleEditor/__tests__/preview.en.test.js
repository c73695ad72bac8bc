// The English preview page of a synced schedule (scripts/render-lwc-preview.sh
// screenshots it): the real template and code, the record from the mocked
// getRecord, SLDS styles.
import ReportdScheduleEditor from 'c/reportdScheduleEditor';

jest.mock('../labels', () => ({ __esModule: true, default: require('./shared').labels('en') }));
jest.mock('@salesforce/i18n/lang', () => ({ __esModule: true, default: 'en-US' }), { virtual: true });

const { mountEditor } = require('./record');
const { writePreview } = require('./preview');

it('renders the preview page of a synced schedule', async () => {
    const el = await mountEditor(ReportdScheduleEditor);
    const html = writePreview(el, 'lwc-editor-en', 'en');
    expect(html).toContain('At 08:00 on Monday, Europe/Berlin');
    expect(html).toContain('Mon, Mar 30, 2026, 08:00 (UTC+02:00)');
    expect(html).toContain('value="0 8 * * 1"');
});
