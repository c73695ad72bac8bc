"""Real Salesforce clients (jsforce, the sf CLI) against reportd-sfsim.

jsforce: refresh-token login (explicit and after a 401), paged query,
ContentVersion upload, update, describe, limits, a report and a Bulk 2.0 query.
sf CLI: access-token login, `data query` over pages, `data create file`
(multipart), JWT login and `data export bulk`.

Installs tests/clients/node_modules with npm when missing, starts the
simulator, runs each client, and prints what each one called (method + path
from the simulator's request log). Exits 0 with "skipped: npm unavailable"
only when npm is missing or cannot install.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim"))
from simlib import Sim  # noqa: E402

INSTALL_TIMEOUT = 900
SF = os.path.join(HERE, "node_modules", ".bin", "sf")


def ensure_installed():
    have = os.path.exists(SF) and os.path.exists(os.path.join(HERE, "node_modules", "jsforce"))
    if have:
        return True
    npm = shutil.which("npm")
    if npm is None:
        print("skipped: npm unavailable (npm not on PATH)")
        return False
    cmd = [npm, "ci" if os.path.exists(os.path.join(HERE, "package-lock.json")) else "install",
           "--no-audit", "--no-fund", "--loglevel=error"]
    t = time.monotonic()
    try:
        subprocess.run(cmd, cwd=HERE, check=True, timeout=INSTALL_TIMEOUT)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        print("skipped: npm unavailable (%s)" % e)
        return False
    print("npm install took %.0f s" % (time.monotonic() - t))
    return True


def calls(sim):
    """The request log since the last call, as 'METHOD path -> status' with repeats folded."""
    log = sim.get("/__sim/requests", auth=False)[2]
    sim.request("DELETE", "/__sim/requests", auth=False)
    folded = []
    for r in log:
        if r["path"].startswith("/__sim"):
            continue
        path = r["path"]
        for prefix in ("/query/", "/jobs/query/"):
            at = path.find(prefix)
            if at >= 0 and not path.endswith(prefix) and "/query/" in path[at:] and path[at + len(prefix):]:
                path = path[: at + len(prefix)] + "{id}" + ("/results" if path.endswith("/results") else "")
        for word in ("sobjects/User/", "sobjects/ContentVersion/", "sobjects/Reportd_Schedule__c/",
                     "analytics/reports/"):
            if word in path and not path.endswith(word):
                path = path[: path.index(word) + len(word)] + "{id}"
        if path.startswith("/id/"):
            path = "/id/{org}/{user}"
        line = "%s %s -> %d" % (r["method"], path, r["status"])
        if folded and folded[-1][0] == line:
            folded[-1][1] += 1
        else:
            folded.append([line, 1])
    return ["%s%s" % (l, " (x%d)" % n if n > 1 else "") for l, n in folded]


def run(cmd, env, timeout=180):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=HERE)
    return p.returncode, p.stdout, p.stderr


def sf_json(out):
    start = out.find("{")
    return json.loads(out[start:]) if start >= 0 else {}


def main():
    if not ensure_installed():
        return 0
    report = {}
    ok = True
    with Sim("--rows-account", "4500", "--rows-contact", "2100", "--rows-opportunity", "2100") as sim:
        org_file = os.path.join(sim.dir, "org.json")
        home = tempfile.mkdtemp(prefix="sfsim-home-")
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=os.path.join(sim.dir, "ca.pem"), HOME=home,
                   SF_DISABLE_TELEMETRY="true", SFDX_DISABLE_TELEMETRY="true",
                   SF_AUTOUPDATE_DISABLE="true", SFDX_AUTOUPDATE_DISABLE="true",
                   SF_USE_GENERIC_UNIX_KEYCHAIN="true", SF_SKIP_NEW_VERSION_CHECK="true",
                   SF_CONTAINER_MODE="true", NO_COLOR="1")
        try:
            calls(sim)
            # jsforce
            rc, out, err = run(["node", os.path.join(HERE, "jsforce_demo.js"), org_file], env)
            js = sf_json(out.strip().splitlines()[-1]) if out.strip() else {}
            report["jsforce"] = {"rc": rc, "steps": js.get("results"), "calls": calls(sim),
                                 "stats": sim.stats()["endpoints"]}
            sim.request("POST", "/__sim/reset", auth=False)
            if rc != 0:
                ok = False
                report["jsforce"]["stderr"] = err[-2000:]
            # sf CLI: access-token login, query with paging, file upload.
            sf_env = dict(env, SF_ACCESS_TOKEN=sim.org["access_token"])
            steps = []
            t = time.monotonic()
            rc, out, err = run([SF, "org", "login", "access-token", "--instance-url", sim.base,
                                "--no-prompt", "--alias", "sim", "--json"], sf_env, timeout=300)
            steps.append({"step": "sf org login access-token", "rc": rc, "seconds": round(time.monotonic() - t, 1),
                          "result": sf_json(out).get("result", {}).get("username") if rc == 0 else err[-1500:] or out[-1500:]})
            login_calls = calls(sim)
            rc2, out, err = run([SF, "data", "query", "--query", "SELECT Id, Name, Owner.Name FROM Account",
                                 "--target-org", "sim", "--json"], sf_env)
            q = sf_json(out).get("result", {}) if rc2 == 0 else {}
            steps.append({"step": "sf data query", "rc": rc2, "totalSize": q.get("totalSize"),
                          "records": len(q.get("records", [])), "error": None if rc2 == 0 else (err or out)[-1500:]})
            query_calls = calls(sim)
            path = os.path.join(home, "report.csv")
            with open(path, "w") as f:
                f.write("a,b\n1,\"x, y\"\n")
            acct = sim.get(sim.query_path("SELECT Id FROM Account LIMIT 1"))[2]["records"][0]["Id"]
            calls(sim)
            rc3, out, err = run([SF, "data", "create", "file", "--file", path, "--parent-id", acct,
                                 "--target-org", "sim", "--json"], sf_env)
            steps.append({"step": "sf data create file", "rc": rc3,
                          "result": sf_json(out).get("result") if rc3 == 0 else (err or out)[-1500:]})
            file_calls = calls(sim)
            # JWT bearer login with the connected app's key, then a Bulk 2.0 export.
            rc4, out, err = run([SF, "org", "login", "jwt", "--client-id", sim.org["client_id"],
                                 "--jwt-key-file", sim.org["jwt_key_file"], "--username", sim.org["username"],
                                 "--instance-url", sim.base, "--alias", "simjwt", "--json"], env)
            steps.append({"step": "sf org login jwt", "rc": rc4,
                          "result": sf_json(out).get("result", {}).get("orgId") if rc4 == 0 else (err or out)[-1500:]})
            jwt_calls = calls(sim)
            csv_path = os.path.join(home, "accounts.csv")
            rc5, out, err = run([SF, "data", "export", "bulk", "--query", "SELECT Id, Name, Owner.Name FROM Account",
                                 "--output-file", csv_path, "--result-format", "csv", "--wait", "2",
                                 "--target-org", "simjwt", "--json"], env)
            exported = sf_json(out).get("result", {}).get("totalSize") if rc5 == 0 else None
            steps.append({"step": "sf data export bulk", "rc": rc5, "totalSize": exported,
                          "error": None if rc5 == 0 else (err or out)[-1500:]})
            bulk_calls = calls(sim)
            ok = ok and rc4 == 0 and rc5 == 0 and exported == 4500
            report["sf"] = {"steps": steps, "calls": {"login": login_calls, "query": query_calls,
                                                       "create file": file_calls, "login jwt": jwt_calls,
                                                       "export bulk": bulk_calls},
                            "stats": sim.stats()["endpoints"]}
            if rc != 0 or rc2 != 0 or rc3 != 0 or q.get("totalSize") != 4500 or len(q.get("records", [])) != 4500:
                ok = False
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print("real clients: %s" % ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
