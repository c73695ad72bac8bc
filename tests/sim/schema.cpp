#include "schema.hpp"

#include <cctype>

namespace reportd::sim {
namespace {

FieldDef f(std::string name, std::string label, FieldType type, bool nillable = true) {
  FieldDef d;
  d.name = std::move(name);
  d.label = std::move(label);
  d.type = type;
  d.nillable = nillable;
  return d;
}

FieldDef w(std::string name, std::string label, FieldType type) {
  FieldDef d = f(std::move(name), std::move(label), type);
  d.writable = true;
  return d;
}

FieldDef ref(std::string name, std::string label, std::string to, std::string rel,
             bool writable = false) {
  FieldDef d = f(std::move(name), std::move(label), FieldType::kReference);
  d.reference_to = std::move(to);
  d.relationship_name = std::move(rel);
  d.writable = writable;
  return d;
}

std::vector<ObjectDef> build() {
  using T = FieldType;
  std::vector<ObjectDef> out;
  auto common = [](std::vector<FieldDef> v) {
    v.insert(v.begin(), f("Id", "Record ID", T::kId, false));
    v.push_back(f("IsDeleted", "Deleted", T::kBoolean, false));
    v.push_back(f("CreatedDate", "Created Date", T::kDatetime, false));
    v.push_back(f("SystemModstamp", "System Modstamp", T::kDatetime, false));
    return v;
  };
  out.push_back({"Account", "Account", "Accounts", "001", Source::kGenerated, false,
                 common({w("Name", "Account Name", T::kString),
                         w("Description", "Account Description", T::kTextarea),
                         w("Industry", "Industry", T::kPicklist),
                         w("Type", "Account Type", T::kPicklist),
                         w("AnnualRevenue", "Annual Revenue", T::kCurrency),
                         w("NumberOfEmployees", "Employees", T::kInt),
                         w("Phone", "Account Phone", T::kPhone),
                         w("Website", "Website", T::kUrl),
                         w("BillingCity", "Billing City", T::kString),
                         w("LastActivityDate", "Last Activity", T::kDate),
                         ref("OwnerId", "Owner ID", "User", "Owner", true)})});
  out.push_back({"Contact", "Contact", "Contacts", "003", Source::kGenerated, false,
                 common({w("FirstName", "First Name", T::kString),
                         w("LastName", "Last Name", T::kString),
                         f("Name", "Full Name", T::kString),
                         w("Email", "Email", T::kEmail),
                         w("Phone", "Business Phone", T::kPhone),
                         w("Title", "Title", T::kString),
                         w("MailingCity", "Mailing City", T::kString),
                         w("Birthdate", "Birthdate", T::kDate),
                         w("HasOptedOutOfEmail", "Email Opt Out", T::kBoolean),
                         w("Description", "Contact Description", T::kTextarea),
                         ref("AccountId", "Account ID", "Account", "Account", true),
                         ref("OwnerId", "Owner ID", "User", "Owner", true)})});
  out.push_back({"Opportunity", "Opportunity", "Opportunities", "006", Source::kGenerated, false,
                 common({w("Name", "Name", T::kString),
                         w("Description", "Description", T::kTextarea),
                         w("StageName", "Stage", T::kPicklist),
                         w("Amount", "Amount", T::kCurrency),
                         w("Probability", "Probability (%)", T::kPercent),
                         w("TotalOpportunityQuantity", "Quantity", T::kDouble),
                         w("CloseDate", "Close Date", T::kDate),
                         f("IsWon", "Won", T::kBoolean, false),
                         f("IsClosed", "Closed", T::kBoolean, false),
                         w("LeadSource", "Lead Source", T::kPicklist),
                         ref("AccountId", "Account ID", "Account", "Account", true),
                         ref("OwnerId", "Owner ID", "User", "Owner", true)})});
  out.push_back({"User", "User", "Users", "005", Source::kGenerated, false,
                 common({f("Name", "Full Name", T::kString), f("FirstName", "First Name", T::kString),
                         f("LastName", "Last Name", T::kString), f("Username", "Username", T::kString),
                         f("Email", "Email", T::kEmail), f("Alias", "Alias", T::kString),
                         f("IsActive", "Active", T::kBoolean, false)})});
  out.push_back({"Organization", "Organization", "Organizations", "00D", Source::kGenerated, false,
                 common({f("Name", "Name", T::kString), f("InstanceName", "Instance Name", T::kString),
                         f("IsSandbox", "Is Sandbox", T::kBoolean, false),
                         f("TrialExpirationDate", "Trial Expiration Date", T::kDatetime),
                         f("NamespacePrefix", "Namespace Prefix", T::kString),
                         f("OrganizationType", "Edition", T::kPicklist)})});
  out.push_back({"ContentVersion", "Content Version", "Content Versions", "068", Source::kStored, false,
                 common({w("Title", "Title", T::kString), w("PathOnClient", "Path On Client", T::kString),
                         w("Description", "Description", T::kTextarea),
                         ref("ContentDocumentId", "ContentDocument ID", "ContentDocument", "ContentDocument"),
                         ref("FirstPublishLocationId", "First Publish Location ID", "Account",
                             "FirstPublishLocation", true),
                         w("VersionData", "Version Data", T::kUrl), f("ContentSize", "Size", T::kInt),
                         f("FileExtension", "File Extension", T::kString),
                         f("VersionNumber", "Version Number", T::kString),
                         f("IsLatest", "Is Latest", T::kBoolean, false)})});
  out.push_back({"ContentDocument", "Content Document", "Content Documents", "069", Source::kStored,
                 false,
                 common({f("Title", "Title", T::kString),
                         ref("LatestPublishedVersionId", "Latest Published Version ID", "ContentVersion",
                             "LatestPublishedVersion"),
                         f("FileExtension", "File Extension", T::kString),
                         f("ContentSize", "Size", T::kInt)})});
  out.push_back({"ContentDocumentLink", "Content Document Link", "Content Document Links", "06A",
                 Source::kStored, false,
                 common({ref("ContentDocumentId", "ContentDocument ID", "ContentDocument",
                             "ContentDocument", true),
                         ref("LinkedEntityId", "Linked Entity ID", "Account", "LinkedEntity", true),
                         w("ShareType", "Share Type", T::kPicklist),
                         w("Visibility", "Visibility", T::kPicklist)})});
  // The schedule object reportd ships in salesforce/ (DESIGN.md §4.7); API
  // names and lengths as in its metadata.
  auto text = [](std::string name, std::string label, FieldType type, int length) {
    FieldDef d = w(std::move(name), std::move(label), type);
    d.length = length;
    return d;
  };
  out.push_back({"Reportd_Schedule__c", "Reportd Schedule", "Reportd Schedules", "a01", Source::kStored,
                 true,
                 common({text("Name", "Schedule Name", T::kString, 80),
                         ref("OwnerId", "Owner ID", "User", "Owner", true),
                         w("Active__c", "Active", T::kBoolean),
                         text("Cron__c", "Cron", T::kString, 120),
                         text("Time_Zone__c", "Time Zone", T::kString, 64),
                         text("Source_Type__c", "Source Type", T::kPicklist, 255),
                         text("Query__c", "Query", T::kTextarea, 32768),
                         text("Report_Id__c", "Report Id", T::kString, 18),
                         text("Formats__c", "Formats", T::kMultiPicklist, 4099),
                         text("Recipients__c", "Recipients", T::kTextarea, 32768),
                         text("Subject__c", "Subject", T::kString, 255),
                         text("Body__c", "Body", T::kTextarea, 32768),
                         w("Send_When_Empty__c", "Send When Empty", T::kBoolean),
                         text("Send_When__c", "Send When", T::kPicklist, 255),
                         text("Run_As__c", "Run As", T::kPicklist, 255),
                         w("Burst__c", "Burst", T::kBoolean),
                         w("Minimum_Rows__c", "Minimum Rows", T::kDouble),
                         text("Files_Target_Id__c", "Files Target Id", T::kString, 18),
                         w("Last_Run__c", "Last Run", T::kDatetime),
                         text("Last_Status__c", "Last Status", T::kString, 40),
                         w("Last_Row_Count__c", "Last Row Count", T::kDouble),
                         text("Last_Error__c", "Last Error", T::kTextarea, 32768),
                         w("Next_Run__c", "Next Run", T::kDatetime),
                         text("Next_Fires__c", "Next Fires", T::kTextarea, 255)})});
  return out;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

const FieldDef* ObjectDef::field(std::string_view n) const {
  for (const auto& fd : fields)
    if (iequals(fd.name, n)) return &fd;
  return nullptr;
}

const FieldDef* ObjectDef::relationship(std::string_view n) const {
  for (const auto& fd : fields)
    if (fd.type == FieldType::kReference && iequals(fd.relationship_name, n)) return &fd;
  return nullptr;
}

const std::vector<ObjectDef>& schema() {
  static const std::vector<ObjectDef> objects = build();
  return objects;
}

const ObjectDef* find_object(std::string_view name) {
  for (const auto& o : schema())
    if (iequals(o.name, name)) return &o;
  return nullptr;
}

const ObjectDef* find_object_by_prefix(std::string_view id) {
  for (const auto& o : schema())
    if (id.substr(0, 3) == o.key_prefix) return &o;
  return nullptr;
}

bool is_text(FieldType t) {
  return t == FieldType::kString || t == FieldType::kTextarea || t == FieldType::kPicklist ||
         t == FieldType::kEmail || t == FieldType::kPhone || t == FieldType::kUrl ||
         t == FieldType::kMultiPicklist;
}

int max_length(const FieldDef& f) {
  if (!is_text(f.type)) return 0;
  if (f.length > 0) return f.length;
  return f.type == FieldType::kTextarea ? 32000 : 255;
}

const char* type_name(FieldType t) {
  switch (t) {
    case FieldType::kId: return "id";
    case FieldType::kString: return "string";
    case FieldType::kTextarea: return "textarea";
    case FieldType::kPicklist: return "picklist";
    case FieldType::kMultiPicklist: return "multipicklist";
    case FieldType::kEmail: return "email";
    case FieldType::kPhone: return "phone";
    case FieldType::kUrl: return "url";
    case FieldType::kCurrency: return "currency";
    case FieldType::kDouble: return "double";
    case FieldType::kPercent: return "percent";
    case FieldType::kInt: return "int";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kDate: return "date";
    case FieldType::kDatetime: return "datetime";
    case FieldType::kReference: return "reference";
  }
  return "string";
}

const char* soap_type(FieldType t) {
  switch (t) {
    case FieldType::kId:
    case FieldType::kReference: return "tns:ID";
    case FieldType::kCurrency:
    case FieldType::kDouble:
    case FieldType::kPercent: return "xsd:double";
    case FieldType::kInt: return "xsd:int";
    case FieldType::kBoolean: return "xsd:boolean";
    case FieldType::kDate: return "xsd:date";
    case FieldType::kDatetime: return "xsd:dateTime";
    default: return "xsd:string";
  }
}

}  // namespace reportd::sim
