// The editor as the object's New/Edit override (aura/
// reportdScheduleEditorPage sets navigateOnSave): Save and Cancel open the
// record, Cancel on New the list; on the record page itself it stays put.
import ReportdScheduleEditor from 'c/reportdScheduleEditor';
import { updateRecord, createRecord } from 'lightning/uiRecordApi';

jest.mock('../labels', () => ({ __esModule: true, default: require('./shared').labels('en') }));

const mockNavigate = jest.fn();
jest.mock('lightning/navigation', () => {
    const Navigate = Symbol('Navigate');
    const NavigationMixin = (Base) =>
        class extends Base {
            [Navigate](pageReference) {
                mockNavigate(pageReference);
            }
        };
    NavigationMixin.Navigate = Navigate;
    return { NavigationMixin };
});

const { scheduleRecord, mountEditor, change, flush, unmountAll, RECORD_ID } = require('./record');

async function mountOverride(record, recordId) {
    const el = await mountEditor(ReportdScheduleEditor, record, recordId);
    el.navigateOnSave = true;
    await flush();
    return el;
}

const recordPage = (id) => ({
    type: 'standard__recordPage',
    attributes: { recordId: id, objectApiName: 'Reportd_Schedule__c', actionName: 'view' }
});

afterEach(() => {
    unmountAll();
    jest.clearAllMocks();
});

it('Edit: Save writes the record and opens it', async () => {
    const el = await mountOverride(scheduleRecord(), RECORD_ID);
    await change(el.shadowRoot.querySelector('select[data-preset="weekday"]'), '2');
    el.shadowRoot.querySelector('[data-id="save"]').click();
    await flush();
    expect(updateRecord).toHaveBeenCalledTimes(1);
    expect(mockNavigate).toHaveBeenCalledWith(recordPage(RECORD_ID));
});

it('Edit: Cancel opens the record unchanged', async () => {
    const el = await mountOverride(scheduleRecord(), RECORD_ID);
    el.shadowRoot.querySelector('[data-id="cancel"]').click();
    await flush();
    expect(updateRecord).not.toHaveBeenCalled();
    expect(mockNavigate).toHaveBeenCalledWith(recordPage(RECORD_ID));
});

it('New: Save creates the record and opens it; Cancel opens the list', async () => {
    createRecord.mockResolvedValueOnce({ id: 'a00000000000003AAA' });
    const el = await mountOverride(null, null);
    const $ = (sel) => el.shadowRoot.querySelector(sel);
    await change($('[data-field="name"]'), 'Open cases', 'input');
    await change($('[data-field="query"]'), 'SELECT Id FROM Case', 'input');
    await change($('[data-field="recipients"]'), 'support@example.com', 'input');
    $('[data-id="save"]').click();
    await flush();
    expect(mockNavigate).toHaveBeenCalledWith(recordPage('a00000000000003AAA'));

    $('[data-id="cancel"]').click();
    await flush();
    expect(mockNavigate).toHaveBeenLastCalledWith({
        type: 'standard__objectPage',
        attributes: { objectApiName: 'Reportd_Schedule__c', actionName: 'list' }
    });
});

it('on the record page (no override) Save stays on the page', async () => {
    const el = await mountEditor(ReportdScheduleEditor);
    await change(el.shadowRoot.querySelector('select[data-preset="weekday"]'), '2');
    el.shadowRoot.querySelector('[data-id="save"]').click();
    await flush();
    expect(updateRecord).toHaveBeenCalledTimes(1);
    expect(mockNavigate).not.toHaveBeenCalled();
});
