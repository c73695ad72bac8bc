"""The schedule object's Salesforce metadata (salesforce/) converts cleanly
with the real Salesforce CLI, offline, and says what reportd relies on.

`sf project convert source --root-dir force-app --output-dir DIR` turns the
source-format project into Metadata API format. The test then reads the
produced package.xml and the converted files: the object, every field with
the API name and type the sync code uses, the layout (read-back fields read
only), the list view, the tab and both permission sets (the integration user
edits only the read-back fields and sees deleted records), and the schedule
editor: its Lightning Web Component bundle (without its Jest tests), the
record page that shows it, the Aura component that lets it override New and
Edit, its custom labels and their German translation.

The project is converted from a copy in a temporary folder: the CLI takes
any folder below one named `lwc` for a component bundle, so a checkout whose
path has a folder of that name would convert wrongly.

The CLI comes from tests/clients (npm, @salesforce/cli), installed by that
folder's own helper when missing. Without npm the script exits 77, which CTest
reports as skipped.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("REPORTD_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
PROJECT = os.path.join(SOURCE_DIR, "salesforce")
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "clients"))
from run_clients import SF, ensure_installed  # noqa: E402

NS = {"md": "http://soap.sforce.com/2006/04/metadata"}
OBJECT = "Reportd_Schedule__c"

# API name -> (type, length or (precision, scale)). The sync code reads and
# writes these names; changing one here is a breaking change for every org.
CONFIG_FIELDS = {
    "Active__c": ("Checkbox", None),
    "Cron__c": ("Text", 120),
    "Time_Zone__c": ("Text", 64),
    "Source_Type__c": ("Picklist", None),
    "Query__c": ("LongTextArea", 32768),
    "Report_Id__c": ("Text", 18),
    "Formats__c": ("MultiselectPicklist", None),
    "Recipients__c": ("LongTextArea", 32768),
    "Subject__c": ("Text", 255),
    "Body__c": ("LongTextArea", 32768),
    "Send_When_Empty__c": ("Checkbox", None),
    "Send_When__c": ("Picklist", None),
    "Run_As__c": ("Picklist", None),
    "Burst__c": ("Checkbox", None),
    "Minimum_Rows__c": ("Number", (18, 0)),
    "Files_Target_Id__c": ("Text", 18),
}
READBACK_FIELDS = {
    "Last_Run__c": ("DateTime", None),
    "Last_Status__c": ("Text", 40),
    "Last_Row_Count__c": ("Number", (18, 0)),
    "Last_Error__c": ("LongTextArea", 32768),
    "Next_Run__c": ("DateTime", None),
    "Next_Fires__c": ("TextArea", None),
}
# Checked in Salesforce as people save (reportd checks everything again at
# sync). Each fires only on a new record or on a change to the fields it
# checks, so reportd's write-back of the read-back fields never trips one.
VALIDATION_RULES = {
    "Cron_Required": ("Cron__c", ["Cron__c", "Active__c"]),
    "Query_Required_For_SOQL": ("Query__c", ["Source_Type__c", "Query__c"]),
    "Report_Id_Required_For_Report": ("Report_Id__c", ["Source_Type__c", "Report_Id__c"]),
    "Recipients_Required": ("Recipients__c", ["Recipients__c", "Files_Target_Id__c", "Active__c"]),
    "Recipients_Syntax": ("Recipients__c", ["Recipients__c"]),
}
ALL_FIELDS = {**CONFIG_FIELDS, **READBACK_FIELDS}
LAYOUT = "Reportd_Schedule__c-Reportd Schedule Layout"
BUNDLE = "reportdScheduleEditor"
FLEXIPAGE = "Reportd_Schedule_Record_Page"
OVERRIDE = "reportdScheduleEditorPage"  # Aura host of the editor for the New/Edit override
SOURCE = os.path.join(PROJECT, "force-app", "main", "default")


def source_labels():
    """The custom labels in the source, and those the component imports."""
    root = ET.parse(os.path.join(SOURCE, "labels", "CustomLabels.labels-meta.xml")).getroot()
    names = {text(l, "fullName") for l in root.findall("md:labels", NS)}
    with open(os.path.join(SOURCE, "lwc", BUNDLE, "labels.js")) as f:
        imported = set(re.findall(r"@salesforce/label/c\.(\w+)'", f.read()))
    return names, imported


def text(el, tag):
    found = el.find("md:" + tag, NS)
    return None if found is None else found.text


class MetadataConvertTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="reportd-sfdx-")
        cls.out = os.path.join(cls.tmp, "mdapi")
        project = os.path.join(cls.tmp, "project")
        os.makedirs(project)
        for name in ("sfdx-project.json", ".forceignore"):
            shutil.copy(os.path.join(PROJECT, name), project)
        shutil.copytree(os.path.join(PROJECT, "force-app"), os.path.join(project, "force-app"))
        home = os.path.join(cls.tmp, "home")
        os.makedirs(home)
        env = dict(os.environ, HOME=home, NO_COLOR="1",
                   PATH=os.path.dirname(SF) + os.pathsep + os.environ.get("PATH", ""),
                   SF_DISABLE_TELEMETRY="true", SFDX_DISABLE_TELEMETRY="true",
                   SF_AUTOUPDATE_DISABLE="true", SFDX_AUTOUPDATE_DISABLE="true",
                   SF_SKIP_NEW_VERSION_CHECK="true", SF_CONTAINER_MODE="true",
                   SF_USE_GENERIC_UNIX_KEYCHAIN="true")
        cls.proc = subprocess.run([SF, "project", "convert", "source", "--root-dir", "force-app",
                                   "--output-dir", cls.out, "--json"],
                                  cwd=project, env=env, capture_output=True, text=True, timeout=300)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def parse(self, *parts):
        return ET.parse(os.path.join(self.out, *parts)).getroot()

    def test_the_cli_converts_the_project_without_errors_or_warnings(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout + self.proc.stderr)
        self.assertIn('"status": 0', self.proc.stdout)
        self.assertIn('"warnings": []', self.proc.stdout)

    def test_package_xml_lists_the_object_fields_layout_list_view_tab_and_permission_sets(self):
        pkg = self.parse("package.xml")
        members = {text(t, "name"): {m.text for m in t.findall("md:members", NS)}
                   for t in pkg.findall("md:types", NS)}
        self.assertEqual(members.get("CustomObject"), {OBJECT})
        self.assertEqual(members.get("CustomField"), {f"{OBJECT}.{f}" for f in ALL_FIELDS})
        self.assertEqual(members.get("Layout"), {LAYOUT})
        self.assertEqual(members.get("ListView"), {f"{OBJECT}.All"})
        self.assertEqual(members.get("CustomTab"), {OBJECT})
        self.assertEqual(members.get("PermissionSet"),
                         {"Reportd_Schedule_Manager", "Reportd_Schedule_Admin", "Reportd_Integration"})
        self.assertEqual(members.get("Group"), {"Reportd_Integration"})
        self.assertEqual(members.get("SharingCriteriaRule"), {f"{OBJECT}.Reportd_Integration_Edit"})
        self.assertEqual(members.get("ValidationRule"), {f"{OBJECT}.{r}" for r in VALIDATION_RULES})
        self.assertEqual(members.get("LightningComponentBundle"), {BUNDLE})
        self.assertEqual(members.get("FlexiPage"), {FLEXIPAGE})
        self.assertEqual(members.get("CustomLabels"), {"CustomLabels"})
        self.assertEqual(members.get("CustomLabel"), source_labels()[0])
        self.assertEqual(members.get("Translations"), {"de"})
        self.assertEqual(members.get("AuraDefinitionBundle"), {OVERRIDE})
        self.assertEqual(text(pkg, "version"), "60.0")

    def test_every_field_has_the_type_size_and_help_an_admin_needs(self):
        obj = self.parse("objects", OBJECT + ".object")
        self.assertEqual(text(obj, "label"), "Reportd Schedule")
        # Private: each manager sees the schedules they own (a schedule runs as its owner).
        self.assertEqual(text(obj, "sharingModel"), "Private")
        name = obj.find("md:nameField", NS)
        self.assertEqual((text(name, "label"), text(name, "type")), ("Schedule Name", "Text"))
        fields = {text(f, "fullName"): f for f in obj.findall("md:fields", NS)}
        self.assertEqual(set(fields), set(ALL_FIELDS))
        for api_name, (ftype, size) in ALL_FIELDS.items():
            f = fields[api_name]
            with self.subTest(field=api_name):
                self.assertEqual(text(f, "type"), ftype)
                if isinstance(size, int):
                    self.assertEqual(int(text(f, "length")), size)
                elif size:
                    self.assertEqual((int(text(f, "precision")), int(text(f, "scale"))), size)
                help_text = text(f, "inlineHelpText") or ""
                self.assertTrue(10 < len(help_text) <= 510, help_text)
                self.assertTrue(text(f, "description"))
                # reportd validates records itself and writes the reason back;
                # a required field would also block field-level security.
                self.assertNotEqual(text(f, "required"), "true")
        self.assertEqual(text(fields["Active__c"], "defaultValue"), "false")
        self.assertIn("6", text(fields["Cron__c"], "inlineHelpText"))
        self.assertIn("IANA", text(fields["Time_Zone__c"], "inlineHelpText"))
        self.assertIn("never holds record values", text(fields["Last_Error__c"], "inlineHelpText"))

        def values(api_name):
            vs = fields[api_name].find("md:valueSet", NS)
            self.assertEqual(text(vs, "restricted"), "true")
            return [text(v, "fullName") for v in vs.findall("md:valueSetDefinition/md:value", NS)]
        self.assertEqual(values("Source_Type__c"), ["SOQL", "Report"])
        self.assertEqual(values("Formats__c"), ["CSV", "XLSX", "PDF", "HTML"])
        self.assertEqual(values("Send_When__c"), ["Always", "Changed"])
        self.assertEqual(values("Run_As__c"), ["Owner", "Integration"])

    def test_validation_rules_fire_only_on_edits_of_what_they_check(self):
        obj = self.parse("objects", OBJECT + ".object")
        rules = {text(r, "fullName"): r for r in obj.findall("md:validationRules", NS)}
        self.assertEqual(set(rules), set(VALIDATION_RULES))
        for name, (display, watched) in VALIDATION_RULES.items():
            r = rules[name]
            with self.subTest(rule=name):
                self.assertEqual(text(r, "active"), "true")
                self.assertEqual(text(r, "errorDisplayField"), display)
                formula = text(r, "errorConditionFormula")
                self.assertIn("ISNEW()", formula)
                for f in watched:
                    self.assertIn(f"ISCHANGED({f})", formula)
                # Never a read-back field: the integration user's PATCH only changes those.
                for f in READBACK_FIELDS:
                    self.assertNotIn(f, formula)
                self.assertTrue(10 < len(text(r, "errorMessage")) <= 255)

    def test_the_list_view_shows_the_key_columns(self):
        obj = self.parse("objects", OBJECT + ".object")
        views = {text(v, "fullName"): v for v in obj.findall("md:listViews", NS)}
        self.assertEqual(set(views), {"All"})
        self.assertEqual(text(views["All"], "filterScope"), "Everything")
        columns = [c.text for c in views["All"].findall("md:columns", NS)]
        for c in ("NAME", "Active__c", "Cron__c", "Next_Run__c", "Last_Status__c"):
            self.assertIn(c, columns)

    def test_the_layout_has_four_sections_and_status_is_read_only(self):
        layout = self.parse("layouts", LAYOUT + ".layout")
        sections = {}
        for s in layout.findall("md:layoutSections", NS):
            items = s.findall("md:layoutColumns/md:layoutItems", NS)
            sections[text(s, "label")] = {text(i, "field"): text(i, "behavior") for i in items}
        for label in ("Schedule", "Source", "Delivery", "Status"):
            self.assertIn(label, sections)
        self.assertEqual(set(sections["Status"]), set(READBACK_FIELDS))
        self.assertEqual(set(sections["Status"].values()), {"Readonly"})
        placed = {f for s in sections.values() for f in s}
        self.assertLessEqual(set(ALL_FIELDS), placed)

    def test_the_editor_bundle_is_exposed_on_schedule_record_pages_without_its_tests(self):
        files = set(os.listdir(os.path.join(self.out, "lwc", BUNDLE)))
        self.assertIn(BUNDLE + ".js", files)
        self.assertIn(BUNDLE + ".html", files)
        self.assertNotIn("__tests__", files)
        meta = self.parse("lwc", BUNDLE, BUNDLE + ".js-meta.xml")
        self.assertEqual(text(meta, "isExposed"), "true")
        self.assertEqual(text(meta, "apiVersion"), "60.0")
        targets = {t.text for t in meta.findall("md:targets/md:target", NS)}
        self.assertEqual(targets, {"lightning__RecordPage", "lightning__AppPage"})
        config = meta.find("md:targetConfigs/md:targetConfig", NS)
        self.assertEqual(config.get("targets"), "lightning__RecordPage")
        self.assertEqual([o.text for o in config.findall("md:objects/md:object", NS)], [OBJECT])

    def test_the_editor_reads_and_writes_only_fields_the_object_has(self):
        with open(os.path.join(self.out, "lwc", BUNDLE, BUNDLE + ".js")) as f:
            js = f.read()
        used = set()
        for const in ("EDITED", "READ"):
            body = re.search(r"const %s = \[([^\]]*)\]" % const, js).group(1)
            used |= set(re.findall(r"'(\w+)'", body))
        self.assertIn("Next_Fires__c", used)
        self.assertLessEqual(used, set(ALL_FIELDS) | {"Name"})

    def test_the_record_page_shows_the_editor_on_the_schedule_object(self):
        page = self.parse("flexipages", FLEXIPAGE + ".flexipage")
        self.assertEqual(text(page, "type"), "RecordPage")
        self.assertEqual(text(page, "sobjectType"), OBJECT)
        components = [c.text for c in page.iter("{%s}componentName" % NS["md"])]
        self.assertIn(BUNDLE, components)
        self.assertIn("force:detailPanel", components)

    def test_the_new_and_edit_override_hosts_the_editor(self):
        with open(os.path.join(self.out, "aura", OVERRIDE, OVERRIDE + ".cmp")) as f:
            cmp = f.read()
        self.assertIn('implements="lightning:actionOverride,force:hasRecordId"', cmp)
        self.assertIn('<c:reportdScheduleEditor recordId="{!v.recordId}" navigateOnSave="true" />', cmp)

    def test_every_label_the_editor_imports_exists_and_has_german(self):
        names, imported = source_labels()
        self.assertEqual(imported, names)
        labels = self.parse("labels", "CustomLabels.labels")
        for l in labels.findall("md:labels", NS):
            with self.subTest(label=text(l, "fullName")):
                self.assertEqual(text(l, "language"), "en_US")
                self.assertTrue(text(l, "value"))
                self.assertLessEqual(len(text(l, "shortDescription")), 80)
        de = self.parse("translations", "de.translation")
        translated = {text(c, "name"): text(c, "label") for c in de.findall("md:customLabels", NS)}
        self.assertEqual(set(translated), names)
        self.assertTrue(all(translated.values()))

    def permset(self, name):
        ps = self.parse("permissionsets", name + ".permissionset")
        objs = {text(o, "object"): o for o in ps.findall("md:objectPermissions", NS)}
        obj = {k: text(objs[OBJECT], k) == "true"
               for k in ("allowCreate", "allowRead", "allowEdit", "allowDelete", "viewAllRecords",
                         "modifyAllRecords")}
        fields = {}
        for fp in ps.findall("md:fieldPermissions", NS):
            obj_name, _, field = text(fp, "field").partition(".")
            self.assertEqual(obj_name, OBJECT)
            fields[field] = (text(fp, "readable") == "true", text(fp, "editable") == "true")
        return obj, fields

    def test_the_manager_permission_set_edits_schedules_but_not_the_read_back_fields(self):
        obj, fields = self.permset("Reportd_Schedule_Manager")
        self.assertTrue(all(obj[k] for k in ("allowCreate", "allowRead", "allowEdit", "allowDelete")))
        # Their own schedules only: the object is Private.
        self.assertFalse(obj["modifyAllRecords"])
        self.assertFalse(obj["viewAllRecords"])
        self.assertEqual(set(fields), set(ALL_FIELDS))
        for f in CONFIG_FIELDS:
            self.assertEqual(fields[f], (True, True), f)
        for f in READBACK_FIELDS:
            self.assertEqual(fields[f], (True, False), f)

    def test_the_integration_permission_set_reads_all_and_edits_only_the_read_back_fields(self):
        obj, fields = self.permset("Reportd_Integration")
        self.assertEqual(obj, {"allowCreate": False, "allowRead": True, "allowEdit": True,
                               "allowDelete": False, "viewAllRecords": True, "modifyAllRecords": False})
        self.assertEqual(set(fields), set(ALL_FIELDS))
        for f in CONFIG_FIELDS:
            self.assertEqual(fields[f], (True, False), f)
        for f in READBACK_FIELDS:
            self.assertEqual(fields[f], (True, True), f)

    def test_the_admin_permission_set_manages_every_schedule(self):
        obj, fields = self.permset("Reportd_Schedule_Admin")
        self.assertTrue(all(obj.values()), obj)  # View All and Modify All too
        self.assertEqual(fields, self.permset("Reportd_Schedule_Manager")[1])

    def test_the_integration_group_may_edit_every_schedule_for_the_write_back(self):
        rules = self.parse("sharingRules", OBJECT + ".sharingRules")
        found = rules.findall("md:sharingCriteriaRules", NS)
        self.assertEqual([text(r, "fullName") for r in found], ["Reportd_Integration_Edit"])
        rule = found[0]
        self.assertEqual(text(rule, "accessLevel"), "Edit")
        self.assertEqual(text(rule.find("md:sharedTo", NS), "group"), "Reportd_Integration")
        # Active__c is true or false: every record.
        self.assertEqual(text(rule, "booleanFilter"), "1 OR 2")
        items = {(text(i, "field"), text(i, "value")) for i in rule.findall("md:criteriaItems", NS)}
        self.assertEqual(items, {("Active__c", "True"), ("Active__c", "False")})


if __name__ == "__main__":
    if not ensure_installed():
        sys.exit(77)  # CTest: SKIP_RETURN_CODE
    unittest.main(verbosity=2)
