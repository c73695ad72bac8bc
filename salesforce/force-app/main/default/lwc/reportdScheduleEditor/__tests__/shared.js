// Test helpers: the component's labels as the org holds them (English from
// labels/CustomLabels.labels-meta.xml, German from translations/
// de.translation-meta.xml, keyed as labels.js keys them) and the tables
// shared with the daemon's C++ tests (tests/jobs/...).
const fs = require('fs');
const path = require('path');

const DEFAULT = path.resolve(__dirname, '../../..');
const REPO = path.resolve(DEFAULT, '../../../..');

function xml(file) {
    return new DOMParser().parseFromString(fs.readFileSync(file, 'utf8'), 'text/xml');
}

function text(el, tag) {
    const found = el.getElementsByTagName(tag)[0];
    return found ? found.textContent : undefined;
}

// label API name -> labels.js key, read from labels.js's import lines.
function keysByName() {
    const src = fs.readFileSync(path.join(DEFAULT, 'lwc/reportdScheduleEditor/labels.js'), 'utf8');
    const out = {};
    for (const m of src.matchAll(/^import (\w+) from '@salesforce\/label\/c\.(\w+)';$/gm)) out[m[2]] = m[1];
    return out;
}

function englishByName() {
    const doc = xml(path.join(DEFAULT, 'labels/CustomLabels.labels-meta.xml'));
    const out = {};
    for (const l of doc.getElementsByTagName('labels')) out[text(l, 'fullName')] = text(l, 'value');
    return out;
}

function germanByName() {
    const doc = xml(path.join(DEFAULT, 'translations/de.translation-meta.xml'));
    const out = {};
    for (const l of doc.getElementsByTagName('customLabels')) out[text(l, 'name')] = text(l, 'label');
    return out;
}

// {key: text} for 'en' or 'de', as labels.js's default export would be.
function labels(language) {
    const byName = language === 'de' ? germanByName() : englishByName();
    const out = {};
    for (const [name, key] of Object.entries(keysByName())) out[key] = byName[name];
    return out;
}

function table(relative) {
    return JSON.parse(fs.readFileSync(path.join(REPO, relative), 'utf8')).cases;
}

module.exports = { labels, keysByName, englishByName, germanByName, table, REPO, DEFAULT };
