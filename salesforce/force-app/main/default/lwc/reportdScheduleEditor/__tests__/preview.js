// Serialises a rendered component (its shadow trees inlined, form values as
// attributes) into a standalone HTML page styled by SLDS from
// @salesforce-ux/design-system, for scripts/render-lwc-preview.sh to
// screenshot in headless Chromium. Writes only when REPORTD_PREVIEW_OUT
// names a folder.
const fs = require('fs');
const path = require('path');

const PROJECT = path.resolve(__dirname, '../../../../../..');
const VOID = new Set(['input', 'br', 'img', 'hr', 'meta', 'link']);

function escapeText(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attrs(node) {
    const out = [];
    for (const a of node.attributes) {
        if (['value', 'checked', 'selected'].includes(a.name)) continue;
        out.push(`${a.name}="${escapeText(a.value).replace(/"/g, '&quot;')}"`);
    }
    const tag = node.localName;
    if (tag === 'input' && node.type !== 'checkbox') out.push(`value="${escapeText(node.value).replace(/"/g, '&quot;')}"`);
    if (tag === 'input' && node.checked) out.push('checked');
    if (tag === 'option') {
        out.push(`value="${escapeText(node.value).replace(/"/g, '&quot;')}"`);
        if (node.parentNode.value === node.value) out.push('selected');
    }
    if (tag === 'button' && node.disabled) out.push('disabled');
    return out.length ? ' ' + out.join(' ') : '';
}

function serialize(node) {
    if (node.nodeType === 3) return escapeText(node.textContent);
    if (node.nodeType !== 1) return '';
    const tag = node.localName;
    let inner = '';
    if (node.shadowRoot) inner += [...node.shadowRoot.childNodes].map(serialize).join('');
    if (tag === 'textarea') inner += escapeText(node.value);
    else inner += [...node.childNodes].map(serialize).join('');
    return VOID.has(tag) ? `<${tag}${attrs(node)}>` : `<${tag}${attrs(node)}>${inner}</${tag}>`;
}

function page(el, language) {
    // Not require.resolve: Jest maps .css files to an empty module.
    const slds = path.join(PROJECT, 'node_modules/@salesforce-ux/design-system/assets/styles',
        'salesforce-lightning-design-system.min.css');
    const styles = [...document.head.querySelectorAll('style')].map((s) => s.outerHTML).join('\n');
    return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8">
<title>reportd schedule editor (${language})</title>
<link rel="stylesheet" href="file://${slds}">
${styles}
<style>body { background: #f3f3f3; padding: 12px; margin: 0; }</style>
</head><body class="slds-scope">
${serialize(el)}
</body></html>
`;
}

// Returns the page; writes it to $REPORTD_PREVIEW_OUT/NAME.html when set.
function writePreview(el, name, language) {
    const html = page(el, language);
    const dir = process.env.REPORTD_PREVIEW_OUT;
    if (dir) fs.writeFileSync(path.join(dir, `${name}.html`), html);
    return html;
}

module.exports = { writePreview };
