// jsforce against reportd-sfsim: refresh-token login (explicit and on 401),
// paged query (autoFetch and queryMore), ContentVersion upload, plus
// describe/limits/report/bulk2 for fidelity. Prints one JSON line per step.
'use strict';
const fs = require('fs');
const jsforce = require('jsforce');

const org = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = [];
let failed = false;

async function step(name, required, fn) {
  try {
    const detail = await fn();
    results.push({ step: name, ok: true, detail });
  } catch (e) {
    results.push({ step: name, ok: false, required, error: String(e && e.message || e) });
    if (required) failed = true;
  }
}

async function main() {
  const oauth2 = new jsforce.OAuth2({
    clientId: org.client_id, clientSecret: org.client_secret, loginUrl: org.login_url,
    redirectUri: org.redirect_uri,
  });
  let conn;
  await step('login: OAuth2.refreshToken', true, async () => {
    const res = await oauth2.refreshToken(org.refresh_token);
    conn = new jsforce.Connection({ oauth2, instanceUrl: res.instance_url, accessToken: res.access_token,
                                    refreshToken: org.refresh_token, version: org.api_version });
    return { instance_url: res.instance_url, token_shape_ok: /^00D\w{12,15}!/.test(res.access_token) };
  });
  await step('login: automatic refresh after a 401', true, async () => {
    let refreshed = 0;
    const stale = new jsforce.Connection({ oauth2, instanceUrl: org.instance_url, accessToken: org.org_id + '!stale',
                                           refreshToken: org.refresh_token, version: org.api_version });
    stale.on('refresh', () => { refreshed += 1; });
    const id = await stale.identity();
    if (refreshed !== 1) throw new Error('expected one refresh, got ' + refreshed);
    return { username: id.username };
  });
  await step('query: autoFetch over pages', true, async () => {
    const records = [];
    await new Promise((resolve, reject) => {
      conn.query('SELECT Id, Name, Owner.Name, Description FROM Account')
        .on('record', (r) => records.push(r.Id)).on('end', resolve).on('error', reject)
        .run({ autoFetch: true, maxFetch: 1000000 });
    });
    if (records.length !== org.rows.Account) throw new Error('got ' + records.length + ' rows');
    return { rows: records.length, unique: new Set(records).size };
  });
  await step('query: queryMore loop', true, async () => {
    let res = await conn.query('SELECT Id, Account.Name FROM Contact');
    let n = res.records.length, pages = 1;
    while (!res.done) { res = await conn.queryMore(res.nextRecordsUrl); n += res.records.length; pages += 1; }
    if (n !== org.rows.Contact) throw new Error('got ' + n);
    return { rows: n, pages };
  });
  let fileId;
  await step('upload: sobject(ContentVersion).create base64', true, async () => {
    const acct = (await conn.query('SELECT Id FROM Account LIMIT 1')).records[0].Id;
    const data = Buffer.from('a,b\n1,"x, y"\n');
    const res = await conn.sobject('ContentVersion').create({
      Title: 'jsforce.csv', PathOnClient: 'jsforce.csv', VersionData: data.toString('base64'),
      FirstPublishLocationId: acct });
    if (!res.success) throw new Error(JSON.stringify(res));
    fileId = res.id;
    const back = await conn.query("SELECT ContentDocumentId FROM ContentVersion WHERE Id = '" + res.id + "'");
    return { id: res.id, content_document: back.records[0].ContentDocumentId };
  });
  await step('update: sobject(Reportd_Schedule__c).update', false, async () => {
    const res = await conn.sobject('Reportd_Schedule__c').update({ Id: org.schedule_ids[0], Last_Status__c: 'ok' });
    return res;
  });
  await step('describe + limits', false, async () => {
    const d = await conn.describe('Opportunity');
    const l = await conn.limits();
    return { fields: d.fields.length, api: l.DailyApiRequests, limitInfo: conn.limitInfo };
  });
  await step('analytics: report execute with details', false, async () => {
    const r = await conn.analytics.report(org.report_summary).execute({ details: true });
    return { format: r.reportMetadata.reportFormat, allData: r.allData, groups: r.groupingsDown.groupings.length };
  });
  await step('bulk2: query', false, async () => {
    const rec = await conn.bulk2.query('SELECT Id, Name FROM Opportunity', { pollInterval: 200, pollTimeout: 60000 });
    let n = 0;
    await new Promise((resolve, reject) => { rec.on('record', () => { n += 1; }).on('end', resolve).on('error', reject); });
    return { rows: n };
  });
  console.log(JSON.stringify({ client: 'jsforce', version: require('jsforce/package.json').version, failed, results, fileId }));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
