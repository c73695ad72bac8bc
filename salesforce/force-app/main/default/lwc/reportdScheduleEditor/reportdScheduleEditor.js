// The schedule editor for Reportd_Schedule__c: a cron helper with presets,
// the expression described in the user's language, the time zone, formats
// and recipients checked as they are typed, and the status reportd wrote
// back (read only). On a record page it edits that record (getRecord /
// updateRecord); without a record id (an app page, the New override) it
// creates one.

import { LightningElement, api, wire } from 'lwc';
import { getRecord, updateRecord, createRecord } from 'lightning/uiRecordApi';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import { NavigationMixin } from 'lightning/navigation';
import lang from '@salesforce/i18n/lang';
import LABELS from './labels';
import { parseCron } from './cron';
import { describeCron, dayName } from './describe';
import { DEFAULT_PRESET, HOUR_STEPS, presetCron, presetOf } from './presets';
import { cronMessage, formatsMessage, recipientsMessage, sourceMessage } from './validate';
import { badgeClass, nextFires, runText, zoneNames } from './status';

const OBJECT = 'Reportd_Schedule__c';
const EDITED = ['Name', 'Active__c', 'Cron__c', 'Time_Zone__c', 'Source_Type__c', 'Query__c', 'Report_Id__c',
    'Formats__c', 'Recipients__c', 'Burst__c'];
const READ = ['Files_Target_Id__c', 'Last_Status__c', 'Last_Run__c', 'Last_Row_Count__c', 'Last_Error__c',
    'Next_Run__c', 'Next_Fires__c'];
const qualified = (names) => names.map((f) => `${OBJECT}.${f}`);
const FORMATS = ['CSV', 'XLSX', 'PDF', 'HTML'];

function formOf(record) {
    const v = (f) => (record && record.fields[f] ? record.fields[f].value : null);
    return {
        name: v('Name') || '',
        active: Boolean(v('Active__c')),
        cron: v('Cron__c') || '',
        zone: v('Time_Zone__c') || '',
        source: v('Source_Type__c') || (record ? '' : 'SOQL'),
        query: v('Query__c') || '',
        reportId: v('Report_Id__c') || '',
        formats: String(v('Formats__c') || (record ? '' : 'CSV')).split(';').filter((f) => f),
        recipients: v('Recipients__c') || '',
        burst: Boolean(v('Burst__c'))
    };
}

export default class ReportdScheduleEditor extends NavigationMixin(LightningElement) {
    @api recordId;
    @api objectApiName;
    // Set by the New/Edit override (aura/reportdScheduleEditorPage): Save and
    // Cancel leave the page for the record (or, for Cancel on New, the list).
    @api navigateOnSave = false;
    labels = LABELS;
    lang = lang;
    record;
    saved = formOf(null);
    form = formOf(null);
    preset = { ...DEFAULT_PRESET };
    saving = false;
    saveError = '';
    touched = false;

    connectedCallback() {
        if (!this.recordId) this.setCron(presetCron(this.preset));
    }

    // A <textarea>'s value and a <select>'s choice are not attributes the
    // template can bind (LWC sets `value` on a textarea as an attribute, and
    // a select a person has used ignores `selected`), so they are set here.
    renderedCallback() {
        const set = (node, value) => {
            if (node && node.value !== value) node.value = value;
        };
        set(this.template.querySelector('textarea[data-field="recipients"]'), this.form.recipients);
        set(this.template.querySelector('textarea[data-field="query"]'), this.form.query);
        set(this.template.querySelector('select[data-field="source"]'), this.form.source);
        set(this.template.querySelector('select[data-field="zone"]'), this.form.zone);
        for (const select of this.template.querySelectorAll('select[data-preset]')) {
            set(select, String(this.preset[select.dataset.preset]));
        }
    }

    // The read-back fields are optional: a user who may not read one still
    // gets the editor.
    @wire(getRecord, { recordId: '$recordId', fields: qualified(EDITED), optionalFields: qualified(READ) })
    wiredRecord({ data, error }) {
        if (data) {
            this.record = data;
            this.saved = formOf(data);
            this.form = { ...this.saved, formats: [...this.saved.formats] };
            this.preset = presetOf(this.form.cron);
            this.touched = false;
        } else if (error) {
            this.saveError = errorText(error);
        }
    }

    // --- the form

    get isNew() {
        return !this.recordId;
    }
    get title() {
        return this.isNew ? LABELS.newTitle : LABELS.title;
    }
    get showTime() {
        return ['daily', 'weekly', 'monthly'].includes(this.preset.mode);
    }
    // The preset's selects: the mode, then what that mode asks for.
    get presetSelects() {
        const L = LABELS;
        const col = (size) => `slds-col slds-size_${size} slds-form-element`;
        const select = (key, label, size, options) => ({
            key, label, sizeClass: col(size),
            options: options.map(([value, text]) => ({
                value: String(value), label: text, selected: String(value) === String(this.preset[key])
            }))
        });
        const out = [select('mode', L.repeat, '1-of-2', [['daily', L.presetDaily], ['weekly', L.presetWeekly],
            ['monthly', L.presetMonthly], ['hours', L.presetHours], ['custom', L.presetCustom]])];
        const mode = this.preset.mode;
        if (mode === 'weekly') {
            // Monday first, as people read a week; Sunday is 0 in cron.
            out.push(select('weekday', L.weekday, '1-of-4', [1, 2, 3, 4, 5, 6, 0].map((w) => [w, dayName(w, this.lang)])));
        } else if (mode === 'monthly') {
            const days = Array.from({ length: 31 }, (_, i) => [i + 1, String(i + 1)]);
            out.push(select('monthDay', L.monthDay, '1-of-4', [...days, ['L', L.lastDayOption]]));
        } else if (mode === 'hours') {
            out.push(select('hours', L.everyHours, '1-of-4', HOUR_STEPS.map((n) => [n, String(n)])));
        }
        return out;
    }
    get zoneOptions() {
        return [{ value: '', label: LABELS.defaultZone, selected: !this.form.zone }].concat(
            zoneNames(this.form.zone).map((z) => ({ value: z, label: z, selected: z === this.form.zone })));
    }
    get sourceOptions() {
        // An empty Source Type is left to reportd (it guesses from what is filled in).
        return ['', 'SOQL', 'Report'].map((value) => ({ value, label: value || '—', selected: value === this.form.source }));
    }
    get isSoql() {
        return this.form.source === 'SOQL';
    }
    get isReport() {
        return this.form.source === 'Report';
    }
    get formatOptions() {
        return FORMATS.map((f) => ({ value: f, label: f, checked: this.form.formats.includes(f), id: `format-${f}` }));
    }

    // --- what the form says

    get description() {
        const parsed = parseCron(this.form.cron);
        if (!String(this.form.cron).trim() || !parsed.ok) return '';
        return describeCron(parsed.expr, this.form.zone, LABELS, this.lang);
    }
    get cronError() {
        return cronMessage(this.form, LABELS);
    }
    get recipientsError() {
        const target = this.record && this.record.fields.Files_Target_Id__c
            ? this.record.fields.Files_Target_Id__c.value : '';
        return recipientsMessage(this.form, target, LABELS);
    }
    get sourceError() {
        return sourceMessage(this.form, LABELS);
    }
    get sourceClass() {
        return elementClass(this.sourceError);
    }
    get formatsError() {
        return formatsMessage(this.form, LABELS);
    }
    get nameError() {
        return this.isNew && this.touched && !this.form.name.trim() ? LABELS.nameRequired : '';
    }
    get cronClass() {
        return elementClass(this.cronError);
    }
    get recipientsClass() {
        return elementClass(this.recipientsError);
    }
    get formatsClass() {
        return `slds-form-element${this.formatsError ? ' slds-has-error' : ''}`;
    }
    get nameClass() {
        return elementClass(this.nameError);
    }
    get changed() {
        return JSON.stringify(this.form) !== JSON.stringify(this.saved);
    }
    get invalid() {
        return Boolean(this.cronError || this.sourceError || this.recipientsError || this.formatsError ||
            (this.isNew && !this.form.name.trim()));
    }
    get saveDisabled() {
        return this.saving || !this.changed || this.invalid;
    }

    // --- what reportd wrote back

    field(name) {
        return this.record && this.record.fields[name] ? this.record.fields[name].value : null;
    }
    get lastStatus() {
        return this.field('Last_Status__c') || '';
    }
    get lastStatusClass() {
        return badgeClass(this.lastStatus);
    }
    get lastRun() {
        return runText(this.field('Last_Run__c'), this.saved.zone, this.lang) || LABELS.never;
    }
    get lastRowCount() {
        const n = this.field('Last_Row_Count__c');
        return n === null || n === undefined ? '' : new Intl.NumberFormat(this.lang).format(n);
    }
    get lastError() {
        return this.field('Last_Error__c') || '';
    }
    get fires() {
        return nextFires(this.field('Next_Fires__c'), this.lang);
    }
    get hasFires() {
        return this.fires.length > 0;
    }
    get whenChanged() {
        return this.form.cron.trim() !== this.saved.cron.trim() || this.form.zone !== this.saved.zone;
    }

    // --- events

    setCron(cron) {
        this.form = { ...this.form, cron };
    }
    handlePreset(event) {
        const key = event.target.dataset.preset;
        this.preset = { ...this.preset, [key]: event.target.value };
        if (this.preset.mode === 'custom') return;
        const cron = presetCron(this.preset);
        if (cron) this.setCron(cron);
    }
    handleCron(event) {
        this.setCron(event.target.value);
        const found = presetOf(event.target.value);
        this.preset = found.mode === 'custom' ? { ...this.preset, mode: 'custom' } : found;
    }
    handleField(event) {
        const key = event.target.dataset.field;
        const value = event.target.type === 'checkbox' ? event.target.checked : event.target.value;
        this.form = { ...this.form, [key]: value };
        this.touched = true;
    }
    handleFormat(event) {
        const f = event.target.value;
        const others = this.form.formats.filter((x) => x !== f);
        const formats = event.target.checked ? FORMATS.filter((x) => x === f || others.includes(x)) : others;
        this.form = { ...this.form, formats };
    }
    handleCancel() {
        if (this.navigateOnSave) {
            this.openRecord(this.recordId);
            return;
        }
        this.form = { ...this.saved, formats: [...this.saved.formats] };
        this.preset = presetOf(this.form.cron);
        this.saveError = '';
    }

    // The record's page, or the object's list without a record.
    openRecord(id) {
        this[NavigationMixin.Navigate](id
            ? { type: 'standard__recordPage', attributes: { recordId: id, objectApiName: OBJECT, actionName: 'view' } }
            : { type: 'standard__objectPage', attributes: { objectApiName: OBJECT, actionName: 'list' } });
    }

    async handleSave() {
        this.touched = true;
        if (this.saveDisabled) return;
        const fields = {
            Active__c: this.form.active,
            Cron__c: this.form.cron.trim(),
            Time_Zone__c: this.form.zone,
            Source_Type__c: this.form.source,
            Query__c: this.form.query,
            Report_Id__c: this.form.reportId.trim(),
            Formats__c: this.form.formats.join(';'),
            Recipients__c: this.form.recipients,
            Burst__c: this.form.burst
        };
        this.saving = true;
        this.saveError = '';
        try {
            if (this.isNew) {
                const created = await createRecord({ apiName: OBJECT, fields: { ...fields, Name: this.form.name.trim() } });
                this.openRecord(created.id);
            } else {
                await updateRecord({ fields: { Id: this.recordId, ...fields } });
                if (this.navigateOnSave) this.openRecord(this.recordId);
            }
            this.saved = { ...this.form, formats: [...this.form.formats] };
            this.dispatchEvent(new ShowToastEvent({ title: LABELS.saved, variant: 'success' }));
        } catch (error) {
            this.saveError = errorText(error);
        } finally {
            this.saving = false;
        }
    }
}

function elementClass(error) {
    return `slds-form-element${error ? ' slds-has-error' : ''}`;
}

// What Salesforce said (validation rules name their field), as one line.
export function errorText(error) {
    const body = (error && error.body) || {};
    const out = body.output || {};
    const parts = [...(out.errors || []).map((e) => e.message)];
    for (const list of Object.values(out.fieldErrors || {})) parts.push(...list.map((e) => e.message));
    if (!parts.length) parts.push(body.message || (error && error.message) || String(error));
    return parts.join(' ');
}
