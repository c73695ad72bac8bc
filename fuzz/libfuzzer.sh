#!/usr/bin/env bash
# Builds the parser fuzz targets that need no more than their parser's own
# sources with clang's libFuzzer (coverage-guided), without a clang build of
# the whole tree, and runs each for SECONDS (default 180) on a copy of its
# seed corpus. The config and record-mapping targets need most of the tree:
# they run through fuzz/fuzz_main.cpp (CTest's fuzz_config,
# fuzz_record_mapping) or a clang build with -DREPORTD_LIBFUZZER=ON.
#   fuzz/libfuzzer.sh [SECONDS] [OUT_DIR]     (needs clang and libclang-rt-14-dev)
#   FUZZ_TARGETS="query_page json_sax" fuzz/libfuzzer.sh ...   (only those)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-180}"
out="${2:-build/libfuzzer}"
mkdir -p "$out"
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I.)
common=(salesforce_client/cell_parse.cpp table/status.cpp table/table.cpp fuzz/fuzz_fail.cpp)
nice clang++ "${flags[@]}" fuzz/bulk_csv_fuzz.cpp salesforce_client/csv_parser.cpp fuzz/fuzz_fail.cpp \
  table/status.cpp -o "$out/fuzz_bulk_csv"
nice clang++ "${flags[@]}" fuzz/query_page_fuzz.cpp salesforce_client/query_page.cpp \
  salesforce_client/soql_fields.cpp "${common[@]}" -lboost_json -o "$out/fuzz_query_page"
nice clang++ "${flags[@]}" fuzz/json_sax_fuzz.cpp fuzz/fuzz_fail.cpp -lboost_json -o "$out/fuzz_json_sax"
nice clang++ "${flags[@]}" fuzz/report_fuzz.cpp salesforce_client/report_parser.cpp salesforce_client/report_dom.cpp "${common[@]}" \
  -lboost_json -o "$out/fuzz_report"
for t in ${FUZZ_TARGETS:-bulk_csv query_page json_sax report}; do
  rm -rf "$out/corpus_$t" && cp -r "fuzz/corpus/$t" "$out/corpus_$t"
  echo "== fuzz_$t for $seconds s"
  (cd "$out" && nice "./fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 "corpus_$t" 2>&1 |
     grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss|==.*ERROR|SUMMARY)|cov:" | tail -4)
done
