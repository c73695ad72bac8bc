// The editor on a schedule record: what it shows from getRecord (the
// sfdx-lwc-jest wire adapter mock), what the presets and typing do, the
// inline messages, and what it saves.
import ReportdScheduleEditor from 'c/reportdScheduleEditor';
import { getRecord, updateRecord, createRecord } from 'lightning/uiRecordApi';

jest.mock('../labels', () => ({ __esModule: true, default: require('./shared').labels('en') }));

const { scheduleRecord, mountEditor, change, flush, unmountAll } = require('./record');

const mount = (record, recordId) => mountEditor(ReportdScheduleEditor, record, recordId);
const $ = (el, sel) => el.shadowRoot.querySelector(sel);
const text = (el, sel) => ($(el, sel) ? $(el, sel).textContent.trim() : null);

afterEach(() => {
    unmountAll();
    jest.clearAllMocks();
});

describe('c-reportd-schedule-editor on a record', () => {
    it('opens on the record: preset, cron, description and the status reportd wrote back', async () => {
        const el = await mount();
        const config = getRecord.getLastConfig();
        expect(config.recordId).toBe('a00000000000001AAA');
        expect(config.fields).toContain('Reportd_Schedule__c.Cron__c');
        // What reportd writes back is optional: a user who may not read it still gets the editor.
        expect(config.optionalFields).toEqual(expect.arrayContaining([
            'Reportd_Schedule__c.Next_Fires__c', 'Reportd_Schedule__c.Last_Status__c']));
        expect($(el, '[data-id="cron"]').value).toBe('0 8 * * 1');
        expect($(el, 'select[data-preset="mode"]').value).toBe('weekly');
        expect($(el, 'select[data-preset="weekday"]').value).toBe('1');
        expect($(el, 'input[data-preset="time"]').value).toBe('08:00');
        expect($(el, 'select[data-field="zone"]').value).toBe('Europe/Berlin');
        expect($(el, '[data-field="recipients"]').value).toBe('sales@example.com, ceo@example.com');
        expect(text(el, '[data-id="description"]')).toBe('At 08:00 on Monday, Europe/Berlin');
        expect(text(el, '[data-id="last-status"]')).toBe('Succeeded');
        expect($(el, '[data-id="last-status"]').className).toContain('slds-theme_success');
        expect(text(el, '[data-id="last-rows"]')).toBe('1,204');
        expect(text(el, '[data-id="last-run"]')).toMatch(/Feb 23, 2026.*8:00.*GMT\+1/);
        const fires = [...el.shadowRoot.querySelectorAll('[data-id="next-fires"] li')];
        expect(fires.map((li) => li.textContent)).toEqual([
            'Mon, Mar 2, 2026, 08:00 (UTC+01:00)',
            'Mon, Mar 9, 2026, 08:00 (UTC+01:00)',
            'Mon, Mar 16, 2026, 08:00 (UTC+01:00)',
            'Mon, Mar 23, 2026, 08:00 (UTC+01:00)',
            'Mon, Mar 30, 2026, 08:00 (UTC+02:00)'
        ]);
        expect(fires[0].title).toBe('2026-03-02T08:00:00+01:00');
        expect($(el, '[data-id="changed-note"]')).toBeNull();
        expect($(el, '[data-id="save"]').disabled).toBe(true); // nothing changed yet
    });

    it('the presets write the cron, and the description follows', async () => {
        const el = await mount();
        await change($(el, 'select[data-preset="mode"]'), 'monthly');
        expect($(el, '[data-id="cron"]').value).toBe('0 8 1 * *');
        await change($(el, 'select[data-preset="monthDay"]'), 'L');
        expect($(el, '[data-id="cron"]').value).toBe('0 8 L * *');
        expect(text(el, '[data-id="description"]')).toBe('At 08:00 on the last day of the month, Europe/Berlin');
        await change($(el, 'select[data-preset="mode"]'), 'daily');
        await change($(el, 'input[data-preset="time"]'), '17:45');
        expect($(el, '[data-id="cron"]').value).toBe('45 17 * * *');
        await change($(el, 'select[data-preset="mode"]'), 'hours');
        await change($(el, 'select[data-preset="hours"]'), '6');
        expect($(el, '[data-id="cron"]').value).toBe('0 */6 * * *');
        await change($(el, 'select[data-field="zone"]'), 'America/New_York');
        expect(text(el, '[data-id="description"]')).toBe('Every 6 hours at minute 0, America/New_York');
        // The next runs shown are still the saved schedule's.
        expect(text(el, '[data-id="changed-note"]')).toMatch(/^You changed when it runs/);
        expect($(el, '[data-id="save"]').disabled).toBe(false);
    });

    it('a typed cron switches to custom, and a bad one is named under the field', async () => {
        const el = await mount();
        await change($(el, '[data-id="cron"]'), '*/15 9-17 * * 1-5', 'input');
        expect($(el, 'select[data-preset="mode"]').value).toBe('custom');
        expect(text(el, '[data-id="description"]')).toBe(
            'Every 15 minutes from 09:00 to 17:59 on Monday through Friday, Europe/Berlin');
        await change($(el, '[data-id="cron"]'), '0 8 * * FRI', 'input');
        expect($(el, 'select[data-preset="mode"]').value).toBe('custom'); // names are not a preset's form
        await change($(el, '[data-id="cron"]'), '0 8 * * 5', 'input');
        expect($(el, 'select[data-preset="mode"]').value).toBe('weekly');
        await change($(el, '[data-id="cron"]'), '61 8 * * *', 'input');
        expect(text(el, '[data-id="cron-error"]')).toBe('The minute field “61” is not valid.');
        expect($(el, '[data-id="description"]')).toBeNull();
        expect($(el, '[data-id="save"]').disabled).toBe(true);
    });

    it('checks recipients and formats as they are typed', async () => {
        const el = await mount();
        await change($(el, '[data-field="recipients"]'), 'sales@example.com; ceo@example', 'input');
        expect(text(el, '[data-id="recipients-error"]')).toMatch(/^“ceo@example” is not an e-mail address\./);
        expect($(el, '[data-id="save"]').disabled).toBe(true);
        await change($(el, '[data-field="recipients"]'), '', 'input');
        expect(text(el, '[data-id="recipients-error"]')).toMatch(/^Give at least one recipient/);
        await change($(el, '[data-field="active"]'), false);
        expect($(el, '[data-id="recipients-error"]')).toBeNull(); // only an active schedule needs one
        for (const f of ['CSV', 'PDF']) await change($(el, `input[data-format="${f}"]`), false);
        expect(text(el, '[data-id="formats-error"]')).toBe('Choose at least one format.');
        await change($(el, 'input[data-format="XLSX"]'), true);
        expect($(el, '[data-id="formats-error"]')).toBeNull();
    });

    it('checks the source as the validation rules do', async () => {
        const el = await mount();
        expect($(el, '[data-field="query"]').value).toMatch(/^SELECT Name, Amount/);
        await change($(el, '[data-field="source"]'), 'Report');
        expect($(el, '[data-field="query"]')).toBeNull();
        expect(text(el, '[data-id="source-error"]')).toMatch(/^Source Type Report needs the report's id/);
        await change($(el, '[data-field="reportId"]'), '00O5g00000AbCdE', 'input');
        expect($(el, '[data-id="source-error"]')).toBeNull();
        await change($(el, '[data-field="reportId"]'), '00Q5g00000AbCdE', 'input');
        expect(text(el, '[data-id="source-error"]')).toMatch(/^Source Type Report/);
        await change($(el, '[data-field="source"]'), 'SOQL');
        await change($(el, '[data-field="query"]'), 'DELETE everything', 'input');
        expect(text(el, '[data-id="source-error"]')).toMatch(/^Source Type SOQL needs a query/);
        expect($(el, '[data-id="save"]').disabled).toBe(true);
    });

    it('saves the edited fields with updateRecord', async () => {
        const el = await mount();
        await change($(el, 'select[data-preset="weekday"]'), '3');
        await change($(el, 'input[data-format="XLSX"]'), true);
        const toasts = jest.fn();
        el.addEventListener('lightning__showtoast', toasts);
        $(el, '[data-id="save"]').click();
        await flush();
        expect(updateRecord).toHaveBeenCalledWith({
            fields: {
                Id: 'a00000000000001AAA',
                Active__c: true,
                Cron__c: '0 8 * * 3',
                Time_Zone__c: 'Europe/Berlin',
                Source_Type__c: 'SOQL',
                Query__c: 'SELECT Name, Amount, CloseDate FROM Opportunity WHERE IsClosed = false',
                Report_Id__c: '',
                Formats__c: 'CSV;XLSX;PDF',
                Recipients__c: 'sales@example.com, ceo@example.com',
                Burst__c: false
            }
        });
        expect(toasts).toHaveBeenCalledTimes(1);
        expect($(el, '[data-id="save"]').disabled).toBe(true);
    });

    it('shows Burst with its help, and saves it ticked or not', async () => {
        const el = await mount(scheduleRecord({ Burst__c: true }));
        expect(getRecord.getLastConfig().fields).toContain('Reportd_Schedule__c.Burst__c');
        const box = $(el, 'input[data-field="burst"]');
        expect(box.checked).toBe(true);
        expect(text(el, '[data-id="burst-label"]')).toBe('Burst: run as each recipient');
        expect(text(el, '[data-id="burst-help"]')).toMatch(
            /^Each recipient who is an active user of this org gets the report run as themselves/);
        expect($(el, '[data-id="save"]').disabled).toBe(true);
        await change(box, false);
        expect($(el, '[data-id="save"]').disabled).toBe(false);
        $(el, '[data-id="save"]').click();
        await flush();
        expect(updateRecord.mock.calls[0][0].fields.Burst__c).toBe(false);
        await change($(el, 'input[data-field="burst"]'), true);
        $(el, '[data-id="save"]').click();
        await flush();
        expect(updateRecord.mock.calls[1][0].fields.Burst__c).toBe(true);
    });

    it('shows what a validation rule said when Salesforce refuses the save', async () => {
        updateRecord.mockRejectedValueOnce({
            body: { output: { errors: [], fieldErrors: { Recipients__c: [{ message: 'Recipients must be email addresses.' }] } } }
        });
        const el = await mount();
        await change($(el, 'select[data-preset="weekday"]'), '2');
        $(el, '[data-id="save"]').click();
        await flush();
        expect(text(el, '[data-id="save-error"]')).toBe('Recipients must be email addresses.');
    });

    it('an Invalid schedule shows the reason and no next runs', async () => {
        const el = await mount(scheduleRecord({
            Cron__c: '0 0 8 ? * MON *',
            Last_Status__c: 'Invalid',
            Last_Error__c: 'Cron__c: 7 fields look like a Quartz expression with a year field',
            Next_Fires__c: null,
            Next_Run__c: null,
            Last_Run__c: null
        }));
        expect($(el, 'select[data-preset="mode"]').value).toBe('custom');
        expect(text(el, '[data-id="cron-error"]')).toMatch(/^7 fields look like a Quartz expression/);
        expect($(el, '[data-id="last-status"]').className).toContain('slds-theme_error');
        expect(text(el, '[data-id="last-error"]')).toMatch(/^Cron__c: 7 fields/);
        expect(text(el, '[data-id="no-next-fires"]')).toMatch(/^None: the schedule is paused/);
        expect(text(el, '[data-id="last-run"]')).toBe('Not yet');
    });
});

describe('c-reportd-schedule-editor without a record (new schedule)', () => {
    it('starts on daily at 08:00 and creates the record with createRecord', async () => {
        createRecord.mockResolvedValueOnce({ id: 'a00000000000002AAA' });
        const el = await mount(null, null);
        expect($(el, '[data-id="cron"]').value).toBe('0 8 * * *');
        expect(text(el, '[data-id="description"]')).toBe("At 08:00 every day, reportd's default time zone");
        expect($(el, '[data-id="last-status"]')).toBeNull(); // nothing written back yet
        await change($(el, '[data-field="recipients"]'), 'ops@example.com', 'input');
        expect(text(el, '[data-id="source-error"]')).toMatch(/^Source Type SOQL needs a query/);
        await change($(el, '[data-field="query"]'), 'SELECT Id, Subject FROM Case', 'input');
        expect($(el, '[data-id="source-error"]')).toBeNull();
        expect($(el, '[data-id="save"]').disabled).toBe(true); // no name yet
        await change($(el, '[data-field="name"]'), 'Daily tickets', 'input');
        $(el, '[data-id="save"]').click();
        await flush();
        expect(createRecord).toHaveBeenCalledWith({
            apiName: 'Reportd_Schedule__c',
            fields: {
                Name: 'Daily tickets',
                Active__c: false,
                Cron__c: '0 8 * * *',
                Time_Zone__c: '',
                Source_Type__c: 'SOQL',
                Query__c: 'SELECT Id, Subject FROM Case',
                Report_Id__c: '',
                Formats__c: 'CSV',
                Recipients__c: 'ops@example.com',
                Burst__c: false
            }
        });
    });
});
