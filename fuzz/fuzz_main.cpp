// fuzz_main: drives a libFuzzer target (LLVMFuzzerTestOneInput) where
// libFuzzer is not there (g++ has none): every seed of the corpus
// directories first, then random mutations of them (bit flips, inserted and
// deleted bytes, repeated chunks, tokens of the seeds, boundary numbers,
// splices) for a bounded time or number of inputs. No coverage feedback:
// build the same target with clang and -fsanitize=fuzzer for that
// (fuzz/CMakeLists.txt, REPORTD_LIBFUZZER).
// Usage: NAME [--seconds S] [--runs N] [--seed X] CORPUS_DIR|FILE...
// A crash or a broken property writes the input to ./crash-NAME-SEED-N and
// exits non-zero; rerun with that file as the only argument to reproduce.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace {

const std::string* g_current = nullptr;
std::string g_crash_path;

void save_current() {
  if (g_current == nullptr) return;
  std::ofstream(g_crash_path, std::ios::binary).write(g_current->data(),
                                                     static_cast<std::streamsize>(g_current->size()));
  std::cerr << "fuzz: input saved to " << g_crash_path << "\n";
}

std::vector<std::string> read_corpus(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  auto add = [&](const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  };
  for (const std::string& p : paths) {
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) add(e.path());
    } else {
      add(p);
    }
  }
  return out;
}

// Runs of letters, digits and '_' in the seeds, plus punctuation that
// parsers care about: spliced in as whole tokens.
std::vector<std::string> tokens_of(const std::vector<std::string>& seeds) {
  std::vector<std::string> out{"\"",   "\\",  "\\u0000", "\\ud800", "{",    "}",     "[",   "]",
                               ",",    ":",   "null",    "true",    "-1",   "0",     "1e308", "\r\n",
                               "\"\"", "\n",  "'",       "=",       "9223372036854775808", "\xff"};
  for (const std::string& s : seeds) {
    std::string cur;
    for (char c : s) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') {
        cur += c;
      } else {
        if (cur.size() > 1 && out.size() < 4000) out.push_back(cur);
        cur.clear();
      }
    }
  }
  return out;
}

std::string mutate(std::string s, const std::vector<std::string>& seeds,
                   const std::vector<std::string>& tokens, std::mt19937_64& rng) {
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(rng() % (rng() % 4 == 0 ? 16 : 3));
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 8) {
      case 0:
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:
        s.insert(pick(s.size() + 1), 1, static_cast<char>(rng() & 0xff));
        break;
      case 2:
        if (!s.empty()) {
          const std::size_t at = pick(s.size());
          s.erase(at, 1 + pick(std::min<std::size_t>(16, s.size() - at)));
        }
        break;
      case 3:
        if (!s.empty()) {
          const std::size_t at = pick(s.size());
          const std::string chunk = s.substr(at, 1 + pick(32));
          s.insert(pick(s.size() + 1), chunk);
        }
        break;
      case 4:
      case 5:
        s.insert(pick(s.size() + 1), tokens[pick(tokens.size())]);
        break;
      case 6: {
        const std::string& o = seeds[pick(seeds.size())];
        const std::size_t at = pick(s.size() + 1);
        s = s.substr(0, at) + o.substr(pick(o.size() + 1));
        break;
      }
      default:
        if (!s.empty()) s.resize(pick(s.size() + 1));  // cut short
    }
  }
  if (s.size() > 65536) s.resize(65536);
  return s;
}

int run_one(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  g_current = nullptr;
  return 0;
}

}  // namespace

void fuzz_fail(const char* what) {
  std::cerr << what << "\n";
  save_current();
  std::abort();
}

int main(int argc, char** argv) {
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  double seconds = 0;
  long runs = -1;
  std::uint64_t seed = std::random_device{}();
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::atol(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else paths.push_back(a);
  }
  std::vector<std::string> seeds = read_corpus(paths);
  if (seeds.empty()) seeds.emplace_back();
  const std::vector<std::string> tokens = tokens_of(seeds);
  g_crash_path = "crash-" + name + "-" + std::to_string(seed);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(save_current);
#endif
  for (const std::string& s : seeds) run_one(s);
  if (seconds <= 0 && runs < 0) runs = 0;  // seeds only: reproducing a crash file
  std::mt19937_64 rng(seed);
  const auto start = std::chrono::steady_clock::now();
  long n = 0;
  for (; runs < 0 || n < runs; ++n) {
    if (seconds > 0 && n % 64 == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds)
      break;
    run_one(mutate(seeds[static_cast<std::size_t>(rng() % seeds.size())], seeds, tokens, rng));
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << name << ": seed " << seed << ", " << seeds.size() << " seeds and " << n
            << " mutated inputs in " << static_cast<long>(took) << " s, no findings\n";
  return 0;
}
