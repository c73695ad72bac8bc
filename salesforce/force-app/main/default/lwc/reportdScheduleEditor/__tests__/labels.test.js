// labels.js imports exactly the labels the org gets, and each has German.
const { keysByName, englishByName, germanByName } = require('./shared');

describe('custom labels', () => {
    it('labels.js imports every custom label and no other', () => {
        expect(Object.keys(keysByName()).sort()).toEqual(Object.keys(englishByName()).sort());
    });

    it('every label has a German translation that keeps its placeholders', () => {
        const en = englishByName();
        const de = germanByName();
        expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
        for (const name of Object.keys(en)) {
            const holes = (s) => (s.match(/\{\d\}/g) || []).sort();
            expect([name, holes(de[name])]).toEqual([name, holes(en[name])]);
            expect(de[name].trim()).not.toBe('');
        }
    });
});
