#include "daemon/args.hpp"

#include <doctest/doctest.h>

namespace reportd::daemon {
namespace {

const std::vector<OptionSpec> kKnown = {
    {"state-dir", true, ""}, {"output", true, ""}, {"add", false, ""}, {"count", true, ""}};

Result<Args> parse_argv(std::vector<const char*> argv) {
  argv.insert(argv.begin(), "reportd");
  return parse_args(static_cast<int>(argv.size()), argv.data(), kKnown);
}

TEST_CASE("args: words, --name value, --name=value and flags, in any order") {
  auto a = parse_argv({"--state-dir", "/s", "keys", "status", "--output=json", "--add"});
  REQUIRE(a.ok());
  CHECK(a->words == std::vector<std::string>{"keys", "status"});
  CHECK(a->get("state-dir") == "/s");
  CHECK(a->get("output") == "json");
  CHECK(a->has("add"));
  CHECK(parse_argv({"cron", "-n", "5"})->get("count") == "5");
  CHECK(parse_argv({"--", "--not-an-option"})->words.front() == "--not-an-option");
}

TEST_CASE("args: mistakes name the option") {
  CHECK(parse_argv({"--nope"}).status().message().find("unknown option --nope") != std::string::npos);
  CHECK(parse_argv({"--output"}).status().message().find("--output needs a value") !=
        std::string::npos);
  CHECK(parse_argv({"--add=1"}).status().message().find("takes no value") != std::string::npos);
  CHECK(parse_argv({"--output", "a", "--output", "b"}).status().message().find("twice") !=
        std::string::npos);
  CHECK(parse_argv({"-x"}).status().message().find("unknown option -x") != std::string::npos);
}

TEST_CASE("args: a command refuses options it does not take and wrong operand counts") {
  auto a = parse_argv({"keys", "status", "--add"});
  REQUIRE(a.ok());
  Status st = check_allowed(*a, "keys status", {"output"}, 2, 0);
  CHECK(st.message().find("does not take --add") != std::string::npos);
  auto b = parse_argv({"connections", "add"});
  CHECK(check_allowed(*b, "connections add", {}, 2, 1).message().find("takes 1 operand") !=
        std::string::npos);
}

}  // namespace
}  // namespace reportd::daemon
