// cron_fuzz: a self-contained mutation fuzzer for parse_cron() (g++ has no
// libFuzzer). It mutates a corpus of valid and broken expressions for a
// bounded time or number of iterations and checks, for every input:
//   - parsing never crashes (run it under ASan/UBSan);
//   - a rejection is kInvalidArgument with a message that names a field;
//   - an accepted input's normalised form parses back to the same expression
//     and normalises to itself;
//   - next_fire() on it returns a time after its start, or never.
// Usage: cron_fuzz [--iterations N] [--seconds S] [--seed X]. Exit 1 on a finding.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "jobs/cron.hpp"
#include "jobs/next_fire.hpp"

namespace {

using reportd::jobs::parse_cron;

const std::vector<std::string> kSeeds{
    "* * * * *", "*/15 * * * *", "0 9 * * 1-5", "30 2 * * *", "0 0 L * *", "0 0 L-3 * *",
    "0 0 15W * *", "0 0 LW * *", "0 0 * * 5L", "0 0 * * 1#2", "@hourly", "@yearly", "@weekly",
    "0 0 12 ? * MON-FRI", "10-50/5 */2 1,15 JAN-MAR sun", "5/10 * ? * *", "0 0 30 2 *",
    "0 0 0 ? * 2-6 *", "59 59 23 31 12 7", "*/7 1-5,9 */3 * *", "0 0 1W,31W * 0#5,6L",
    "1,2,3 4-5 6 7 8", "", "@reboot", "61 * * * *", "* * * * * * * *", "0 0 * * L",
    "*/0 * * * *", "5-1 * * * *", "1,,2 * * * *", "0 0 * 13 *", "0 0 L/2 * *"};
const std::string kAlphabet = "0123456789*/-,?LW# @\tJANFEBMARSUNMONFRIlw";

std::string mutate(std::string s, std::mt19937_64& rng) {
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % (n ? n : 1)); };
  const int edits = rng() % 2 ? 1 : 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 7) {
      case 0:  // insert a dialect character
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)),
                 kAlphabet[pick(kAlphabet.size())]);
        break;
      case 1:  // delete
        if (!s.empty()) s.erase(pick(s.size()), 1);
        break;
      case 2:  // replace
        if (!s.empty()) s[pick(s.size())] = kAlphabet[pick(kAlphabet.size())];
        break;
      case 3:  // random byte, including NUL and high bytes
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)),
                 static_cast<char>(rng() & 0xFF));
        break;
      case 4: {  // splice another seed in
        const std::string& o = kSeeds[pick(kSeeds.size())];
        const std::size_t at = pick(s.size() + 1);
        s = s.substr(0, at) + o.substr(pick(o.size() + 1));
        break;
      }
      case 5:  // a long number
        s.insert(pick(s.size() + 1), std::to_string(rng()));
        break;
      default:  // duplicate a chunk
        if (!s.empty()) {
          const std::size_t a = pick(s.size());
          s.insert(a, s.substr(a, 1 + pick(8)));
        }
    }
  }
  if (s.size() > 200) s.resize(200);
  return s;
}

// Field by field from dialect tokens: mostly valid, often in the wrong field.
std::string assemble(std::mt19937_64& rng) {
  static const std::vector<std::string> kTokens{
      "*", "*/5", "*/15", "1-5", "0", "7", "59", "23", "31", "L", "L-3", "15W", "LW", "5L",
      "1#2", "MON-FRI", "jan", "DEC", "?", "0,30", "10-50/5", "5/10", "SUN", "2-6/2", "0-23"};
  const int fields = rng() % 8 == 0 ? 6 : 5 + static_cast<int>(rng() % 2);
  std::string s;
  for (int i = 0; i < fields; ++i) {
    if (i) s += ' ';
    s += kTokens[rng() % kTokens.size()];
    if (rng() % 4 == 0) s += "," + kTokens[rng() % kTokens.size()];
  }
  return s;
}

bool check(const std::string& input, std::mt19937_64& rng,
           const std::vector<const date::time_zone*>& zones) {
  auto r = parse_cron(input);
  if (!r.ok()) {
    const std::string& m = r.status().message();
    if (r.status().kind() != reportd::ErrorKind::kInvalidArgument || m.find("field") == std::string::npos) {
      std::cerr << "rejection without a field name: `" << input << "`: " << m << "\n";
      return false;
    }
    return true;
  }
  const std::string normal = to_string(*r);
  auto again = parse_cron(normal);
  if (!again.ok() || !(*again == *r) || to_string(*again) != normal) {
    std::cerr << "normal form does not round-trip: `" << input << "` -> `" << normal << "`"
              << (again.ok() ? "" : ": " + again.status().message()) << "\n";
    return false;
  }
  const date::sys_seconds after{std::chrono::seconds{1'700'000'000 + static_cast<std::int64_t>(rng() % 400'000'000)}};
  const auto f = reportd::jobs::next_fire(*r, *zones[rng() % zones.size()], after);
  if (f && f->utc <= after) {
    std::cerr << "next_fire went backwards for `" << input << "`\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 200000;
  double seconds = 0;
  std::uint64_t seed = std::random_device{}();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--iterations") iterations = std::atol(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::cout << "cron_fuzz: seed " << seed << "\n";
  std::mt19937_64 rng(seed);
  const std::vector<const date::time_zone*> zones{
      date::locate_zone("UTC"), date::locate_zone("Europe/Berlin"),
      date::locate_zone("Australia/Lord_Howe"), date::locate_zone("Pacific/Apia")};
  const auto start = std::chrono::steady_clock::now();
  long accepted = 0;
  long n = 0;
  for (; n < iterations; ++n) {
    if (seconds > 0 && n % 256 == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds)
      break;
    std::string input = rng() % 2 ? assemble(rng)
                                  : kSeeds[static_cast<std::size_t>(rng() % kSeeds.size())];
    if (rng() % 3) input = mutate(input, rng);
    if (!check(input, rng, zones)) {
      std::cerr << "cron_fuzz: failed at iteration " << n << " (seed " << seed << ")\n";
      return 1;
    }
    accepted += parse_cron(input).ok();
  }
  std::cout << "cron_fuzz: " << n << " inputs, " << accepted << " accepted, no findings\n";
  return 0;
}
