// A Reportd_Schedule__c record as getRecord delivers it (UI API shape), with
// the read-back fields as reportd writes them (jobs/sync/write_back.cpp,
// jobs/sync/next_fires.cpp). Synthetic values.
const BASE = {
    Name: 'Weekly pipeline',
    Active__c: true,
    Cron__c: '0 8 * * 1',
    Time_Zone__c: 'Europe/Berlin',
    Source_Type__c: 'SOQL',
    Query__c: 'SELECT Name, Amount, CloseDate FROM Opportunity WHERE IsClosed = false',
    Report_Id__c: null,
    Formats__c: 'CSV;PDF',
    Recipients__c: 'sales@example.com, ceo@example.com',
    Burst__c: false,
    Files_Target_Id__c: null,
    Last_Status__c: 'Succeeded',
    Last_Run__c: '2026-02-23T07:00:02.000Z',
    Last_Row_Count__c: 1204,
    Last_Error__c: null,
    Next_Run__c: '2026-03-02T07:00:00.000Z',
    Next_Fires__c: [
        '2026-03-02T08:00:00+01:00',
        '2026-03-09T08:00:00+01:00',
        '2026-03-16T08:00:00+01:00',
        '2026-03-23T08:00:00+01:00',
        '2026-03-30T08:00:00+02:00'
    ].join('\n')
};

function scheduleRecord(overrides = {}) {
    const values = { ...BASE, ...overrides };
    const fields = {};
    for (const [name, value] of Object.entries(values)) fields[name] = { value, displayValue: null };
    return { apiName: 'Reportd_Schedule__c', id: RECORD_ID, fields };
}

const RECORD_ID = 'a00000000000001AAA';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

// Mounts the editor `Component` on `recordId` (none: a new schedule) and has
// the mocked getRecord deliver `record`.
async function mountEditor(Component, record = scheduleRecord(), recordId = RECORD_ID) {
    const { createElement } = require('lwc');
    const { getRecord } = require('lightning/uiRecordApi');
    const el = createElement('c-reportd-schedule-editor', { is: Component });
    if (recordId) el.recordId = recordId;
    document.body.appendChild(el);
    if (record) getRecord.emit(record);
    await flush();
    return el;
}

// Sets a form control's value (or check box) and sends `type`.
async function change(node, value, type = 'change') {
    if (node.type === 'checkbox') node.checked = value;
    else node.value = value;
    node.dispatchEvent(new CustomEvent(type));
    await flush();
}

function unmountAll() {
    while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
}

module.exports = { scheduleRecord, mountEditor, change, flush, unmountAll, RECORD_ID };
