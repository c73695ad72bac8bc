#include "generator.hpp"

#include <array>
#include <string_view>

#include "ids.hpp"

namespace reportd::sim {
namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash(std::string_view salt, std::uint64_t row) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : salt) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return mix(h ^ mix(row));
}

template <size_t N>
std::string pick(const std::array<const char*, N>& list, std::uint64_t h) {
  return list[h % N];
}

constexpr std::array<const char*, 16> kCompanyA = {
    "Acme", "Ångström", "Müller & Söhne", "Globex", "Initech", "北京贸易", "Café Olé",
    "O'Reilly", "Zoë's", "Łódź Industrial", "Umbrella", "Stark", "Wayne", "Tyrell",
    "Сибирь", "Δelta"};
constexpr std::array<const char*, 8> kCompanyB = {"Corp", "GmbH", "Ltd.", "Holdings",
                                                  "S.A.", "株式会社", "LLC", "& Co."};
constexpr std::array<const char*, 16> kFirst = {
    "Anna", "Björn", "Chloé", "Dmitri", "Émile", "François", "Gülşen", "Hiroshi",
    "Ingrid", "Jürgen", "Kateřina", "Li", "María", "Søren", "Tomás", "Zoë"};
constexpr std::array<const char*, 14> kLast = {
    "Smith", "O'Brien", "Müller", "García", "Nguyễn", "Østergaard", "Kowalski",
    "Dubois", "van der Berg", "Żółć", "田中", "D'Angelo", "Smith, Jr.", "\"Buzz\" Aldrin"};
constexpr std::array<const char*, 8> kCities = {"São Paulo", "Kraków", "東京", "Montréal",
                                                "Zürich", "Reykjavík", "New York", "Cape Town"};
constexpr std::array<const char*, 7> kIndustry = {"Technology", "Finance", "Healthcare",
                                                  "Manufacturing", "Retail",
                                                  "Energy, Oil & Gas", "Education"};
constexpr std::array<const char*, 4> kAccountType = {"Customer - Direct", "Customer - Channel",
                                                     "Prospect", "Partner"};
constexpr std::array<const char*, 7> kStages = {
    "Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost"};
constexpr std::array<int, 7> kStageProbability = {10, 20, 20, 75, 90, 100, 0};
constexpr std::array<const char*, 5> kLeadSource = {"Web", "Phone Inquiry", "Partner Referral",
                                                    "Trade Show", "Word of mouth"};
constexpr std::array<const char*, 6> kTitles = {"CEO", "VP, Sales", "Buyer", "Ingénieure",
                                                "Head of \"Special\" Projects", "CFO"};
constexpr std::array<const char*, 8> kUserNames = {
    "Integration User", "Zoë Ångström", "José Núñez", "李 雷",
    "Olivia O'Neil", "Bob \"The Builder\" Smith", "Ana, María", "Ümit Yılmaz"};

constexpr std::int64_t kEpoch2019 = 1546300800;   // 2019-01-01T00:00:00Z
constexpr std::int64_t kDays2023 = 19358;         // 2023-01-01

std::string with_marker(const GenConfig& cfg, std::uint64_t row, std::string s) {
  if (!cfg.marker.empty() && row % kMarkerEvery == 0) s += " " + cfg.marker;
  return s;
}

bool marker_row(const GenConfig& cfg, std::uint64_t row) {
  return !cfg.marker.empty() && row % kMarkerEvery == 0;
}

std::string description(std::uint64_t row, const std::string& subject) {
  switch (row % 4) {
    case 0: return "Line 1 about " + subject + "\nLine 2, with a comma";
    case 1: return "Said \"hello\", then left; café ☕";
    case 2: return row % 8 == 6 ? "CRLF line\r\nsecond line" : "Emoji 🚀 and a\ttab";
    default: return "";
  }
}

std::string company_name(std::uint64_t row) {
  std::uint64_t h = hash("company", row);
  std::string a = pick(kCompanyA, h);
  std::string b = pick(kCompanyB, h >> 8);
  switch (row % 7) {
    case 1: return a + ", " + b + " " + std::to_string(row);
    case 2: return a + " \"" + b + "\" " + std::to_string(row);
    default: return a + " " + b + " " + std::to_string(row);
  }
}

Value opt_parent(std::uint64_t row, std::uint64_t null_mod, std::uint64_t null_rem,
                 std::uint64_t parents, std::string_view prefix, std::string_view salt) {
  if (parents == 0 || row % null_mod == null_rem) return Value::null();
  return Value::str(make_id(prefix, hash(salt, row) % parents));
}

Value common(const GenConfig& cfg, const ObjectDef& obj, std::uint64_t row, const FieldDef& f,
             bool& handled) {
  handled = true;
  if (f.name == "Id") return Value::str(make_id(obj.key_prefix, row));
  if (f.name == "IsDeleted") return Value::boolean(row >= live_rows(cfg, obj));
  // Generated rows never change after creation: modified when created.
  if (f.name == "CreatedDate" || f.name == "SystemModstamp") {
    auto secs = kEpoch2019 + static_cast<std::int64_t>(row * 997 + hash("created", row) % 997);
    return Value::str(format_datetime(secs));
  }
  if (f.name == "OwnerId") return Value::str(make_id("005", hash("owner", row) % kUsers));
  handled = false;
  return Value::null();
}

Value account(const GenConfig& cfg, std::uint64_t row, const std::string& n) {
  std::uint64_t h = hash(n, row);
  if (n == "Name") return Value::str(with_marker(cfg, row, company_name(row)));
  if (n == "Description") {
    if (row % 4 == 3 && !marker_row(cfg, row)) return Value::null();
    return Value::str(with_marker(cfg, row, description(row, company_name(row))));
  }
  if (n == "Industry") return row % 9 == 4 ? Value::null() : Value::str(pick(kIndustry, h));
  if (n == "Type") return Value::str(pick(kAccountType, h));
  if (n == "AnnualRevenue")
    return row % 6 == 5 ? Value::null()
                        : Value::num(format_scaled(static_cast<std::int64_t>(h % 100000000000ULL), 2));
  if (n == "NumberOfEmployees")
    return row % 10 == 9 ? Value::null() : Value::num(std::to_string(h % 250000));
  if (n == "Phone") return Value::str("+1 (555) " + std::to_string(1000000 + h % 9000000));
  if (n == "Website") return Value::str("https://acct" + std::to_string(row) + ".example.com/?a=1&b=2");
  if (n == "BillingCity") return Value::str(pick(kCities, h));
  if (n == "LastActivityDate")
    return row % 3 == 2 ? Value::null()
                        : Value::str(format_date(kDays2023 + static_cast<std::int64_t>(h % 1000)));
  return Value::null();
}

Value contact(const GenConfig& cfg, std::uint64_t row, const std::string& n) {
  std::uint64_t h = hash(n, row);
  auto first = [&] { return row % 17 == 3 ? std::string() : pick(kFirst, hash("first", row)); };
  auto last = [&] { return with_marker(cfg, row, pick(kLast, hash("last", row))); };
  if (n == "FirstName") return row % 17 == 3 ? Value::null() : Value::str(first());
  if (n == "LastName") return Value::str(last());
  if (n == "Name") return Value::str(first().empty() ? last() : first() + " " + last());
  if (n == "Email")
    return row % 8 == 7 ? Value::null() : Value::str("c" + std::to_string(row) + "@example.com");
  if (n == "Phone") return row % 5 == 4 ? Value::null() : Value::str("+44 20 " + std::to_string(7000000 + h % 999999));
  if (n == "Title") return row % 6 == 5 ? Value::null() : Value::str(pick(kTitles, h));
  if (n == "MailingCity") return Value::str(pick(kCities, h));
  if (n == "Birthdate")
    return row % 4 == 1 ? Value::null()
                        : Value::str(format_date(-3650 + static_cast<std::int64_t>(h % 15000)));
  if (n == "HasOptedOutOfEmail") return Value::boolean(h % 3 == 0);
  if (n == "Description") {
    if (row % 4 == 3 && !marker_row(cfg, row)) return Value::null();
    return Value::str(with_marker(cfg, row, description(row, "contact " + std::to_string(row))));
  }
  if (n == "AccountId") return opt_parent(row, 11, 7, cfg.accounts, "001", "c.account");
  return Value::null();
}

Value opportunity(const GenConfig& cfg, std::uint64_t row, const std::string& n) {
  std::uint64_t h = hash(n, row);
  std::uint64_t stage = hash("stage", row) % kStages.size();
  if (n == "Name")
    return Value::str(with_marker(cfg, row, company_name(hash("o.name", row) % 1000) + " - " +
                                                std::to_string(row % 97 + 1) + " Widgets"));
  if (n == "Description") {
    if (row % 4 == 3 && !marker_row(cfg, row)) return Value::null();
    return Value::str(with_marker(cfg, row, description(row, "deal " + std::to_string(row))));
  }
  if (n == "StageName") return Value::str(kStages[stage]);
  if (n == "Amount")
    return row % 10 == 3 ? Value::null()
                         : Value::num(format_scaled(static_cast<std::int64_t>(h % 1000000000ULL), 2));
  if (n == "Probability") return Value::num(std::to_string(kStageProbability[stage]));
  if (n == "TotalOpportunityQuantity") return Value::num(format_scaled(static_cast<std::int64_t>(h % 5000), 1));
  if (n == "CloseDate") return Value::str(format_date(kDays2023 + static_cast<std::int64_t>(hash("close", row) % 1095)));
  if (n == "IsWon") return Value::boolean(stage == 5);
  if (n == "IsClosed") return Value::boolean(stage >= 5);
  if (n == "LeadSource") return row % 7 == 6 ? Value::null() : Value::str(pick(kLeadSource, h));
  if (n == "AccountId") return opt_parent(row, 13, 5, cfg.accounts, "001", "o.account");
  return Value::null();
}

Value user(const GenConfig& cfg, std::uint64_t row, const std::string& n) {
  std::string full = kUserNames[row % kUserNames.size()];
  auto space = full.find(' ');
  if (n == "Name") return Value::str(full);
  if (n == "FirstName") return Value::str(full.substr(0, space));
  if (n == "LastName") return Value::str(full.substr(space + 1));
  if (n == "Username")
    return Value::str(row == 0 ? cfg.username
                               : "user" + std::to_string(row) + "@org" + std::to_string(cfg.org_number) +
                                     ".reportd-sim.example");
  if (n == "Email") return Value::str("user" + std::to_string(row) + "@example.com");
  if (n == "Alias") return Value::str("u" + std::to_string(row));
  if (n == "IsActive") return Value::boolean(row != 6);
  return Value::null();
}

Value organization(const std::string& n) {
  if (n == "Name") return Value::str("reportd Simulator Org");
  if (n == "InstanceName") return Value::str("SIM1");
  if (n == "IsSandbox") return Value::boolean(false);
  if (n == "OrganizationType") return Value::str("Enterprise Edition");
  return Value::null();
}

}  // namespace

std::uint64_t live_rows(const GenConfig& cfg, const ObjectDef& obj) {
  if (obj.name == "Account") return cfg.accounts;
  if (obj.name == "Contact") return cfg.contacts;
  if (obj.name == "Opportunity") return cfg.opportunities;
  if (obj.name == "User") return kUsers;
  if (obj.name == "Organization") return 1;
  return 0;
}

std::uint64_t all_rows(const GenConfig& cfg, const ObjectDef& obj) {
  std::uint64_t live = live_rows(cfg, obj);
  bool has_deleted = obj.name == "Account" || obj.name == "Contact" || obj.name == "Opportunity";
  return has_deleted ? live + live / 50 : live;
}

Value generate(const GenConfig& cfg, const ObjectDef& obj, std::uint64_t row, const FieldDef& f) {
  bool handled = false;
  Value v = common(cfg, obj, row, f, handled);
  if (handled) return v;
  if (obj.name == "Account") return account(cfg, row, f.name);
  if (obj.name == "Contact") return contact(cfg, row, f.name);
  if (obj.name == "Opportunity") return opportunity(cfg, row, f.name);
  if (obj.name == "User") return user(cfg, row, f.name);
  if (obj.name == "Organization") return organization(f.name);
  return Value::null();
}

}  // namespace reportd::sim
