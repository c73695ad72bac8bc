// Jest for the Lightning Web Components (sfdx-lwc-jest's configuration).
const { jestConfig } = require('@salesforce/sfdx-lwc-jest/config');

module.exports = {
    ...jestConfig,
    // Only *.test.js: __tests__ also holds helpers (labels, records, the preview page).
    testMatch: ['**/__tests__/**/?(*.)+(spec|test).[jt]s?(x)'],
    modulePathIgnorePatterns: ['<rootDir>/.localdevserver']
};
