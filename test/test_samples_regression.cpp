#define BOOST_TEST_MODULE samples_regression
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/golden.hpp"

// samples/11_regression (pytorch/examples' C++ regression): it must stop because the loss fell
// below 1e-3, report it, and print a learned polynomial next to the actual one; --csv writes
// what scripts/plot draws.

namespace t = eigrad::test;

namespace {

// The printed "Loss: L after N batches" line as (L, N).
std::pair<double, long> printed_loss_and_batches(const std::string& out) {
  std::smatch m;
  BOOST_TEST_REQUIRE(std::regex_search(out, m, std::regex(R"(Loss: (\S+) after (\d+) batches)")), out);
  return {std::stod(m[1].str()), std::stol(m[2].str())};
}

// A `series,x,y` CSV file: the (x, y) points of every series, in file order.
std::map<std::string, std::vector<std::pair<double, double>>> read_series(const std::string& path) {
  std::ifstream in(path);
  BOOST_TEST_REQUIRE(in.is_open(), path);
  std::string line;
  std::getline(in, line);
  BOOST_TEST_REQUIRE(line == "series,x,y");
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string name, x, y;
    BOOST_TEST_REQUIRE(static_cast<bool>(std::getline(row, name, ',') && std::getline(row, x, ',') &&
                                         std::getline(row, y)), line);
    series[name].emplace_back(std::stod(x), std::stod(y));
  }
  return series;
}

// A CSV path in the temporary folder, removed when the test ends.
struct TemporaryCsv {
  std::string path;
  explicit TemporaryCsv(const std::string& name)
      : path((std::filesystem::temp_directory_path() / ("eigrad_test_" + name + ".csv")).string()) {}
  ~TemporaryCsv() { std::remove(path.c_str()); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(regression_sample_converges_below_1e_3) {
  for (const char* seed : {"0", "1"}) {
    const t::ProcessResult p = t::run_sample("11_regression", {seed});
    BOOST_TEST_REQUIRE(p.exit_code == 0, "seed " << seed << ", stderr: " << p.err);
    const auto [loss, batches] = printed_loss_and_batches(p.out);
    BOOST_TEST(loss < 1e-3, p.out);
    BOOST_TEST(batches > 1);
    BOOST_TEST(p.out.find("==> Learned function:\ty = ") != std::string::npos, p.out);
    BOOST_TEST(p.out.find("==> Actual function:\ty = ") != std::string::npos, p.out);
  }
}

BOOST_AUTO_TEST_CASE(regression_sample_refuses_bad_arguments_with_exit_code_2) {
  const t::ProcessResult help = t::run_sample("11_regression", {"--help"});
  BOOST_TEST(help.exit_code == 0);
  BOOST_TEST(help.out.find("usage: 11_regression [SEED]") != std::string::npos, help.out);
  for (const char* bad : {"abc", "-1", "12x", "99999999999999999999999"}) {
    const t::ProcessResult p = t::run_sample("11_regression", {bad});
    BOOST_TEST(p.exit_code == 2, bad);
    BOOST_TEST(p.err.find(std::string("got '") + bad + "'") != std::string::npos, p.err);
  }
  BOOST_TEST(t::run_sample("11_regression", {"1", "2"}).exit_code == 2);
}

// Every batch's loss, then the actual and the learned polynomial on the same grid of x in
// [-2, 2]; and the printout is the one without --csv, byte for byte. Both spellings of the flag.
BOOST_AUTO_TEST_CASE(regression_sample_writes_losses_target_and_fit_to_csv) {
  const std::vector<std::pair<const char*, bool>> runs = {{"0", false}, {"1", true}};
  for (const auto& [seed, equals_form] : runs) {
    const TemporaryCsv csv(std::string("regression_") + seed);
    const std::vector<std::string> args =
        equals_form ? std::vector<std::string>{seed, "--csv=" + csv.path}
                    : std::vector<std::string>{"--csv", csv.path, seed};
    const t::ProcessResult p = t::run_sample("11_regression", args);
    BOOST_TEST_REQUIRE(p.exit_code == 0, "seed " << seed << ", stderr: " << p.err);
    BOOST_TEST(p.out == t::run_sample("11_regression", {seed}).out);
    const auto [printed_loss, batches] = printed_loss_and_batches(p.out);

    const auto series = read_series(csv.path);
    BOOST_TEST(series.size() == 3u);
    const auto& losses = series.at("loss");
    BOOST_TEST_REQUIRE(static_cast<long>(losses.size()) == batches);
    for (std::size_t i = 0; i < losses.size(); ++i) BOOST_TEST(losses[i].first == static_cast<double>(i + 1));
    // The last batch's loss is the printed one (printed with 6 significant digits).
    BOOST_TEST(losses.back().second == printed_loss, boost::test_tools::tolerance(1e-5));
    BOOST_TEST(std::none_of(losses.begin(), losses.end() - 1, [](const auto& l) { return l.second < 1e-3; }));

    const auto& target = series.at("target");
    const auto& fit = series.at("fit");
    BOOST_TEST_REQUIRE(target.size() == 201u);
    BOOST_TEST_REQUIRE(fit.size() == target.size());
    BOOST_TEST(target.front().first == -2.0);
    BOOST_TEST(target.back().first == 2.0);
    double largest_target = 0, largest_gap = 0;
    for (std::size_t i = 0; i < target.size(); ++i) {
      BOOST_TEST(fit[i].first == target[i].first);
      largest_target = std::max(largest_target, std::abs(target[i].second));
      largest_gap = std::max(largest_gap, std::abs(fit[i].second - target[i].second));
    }
    // The targets reach tens to hundreds at |x| = 2; the learned polynomial stays within 1% of that.
    BOOST_TEST(largest_target > 10.0);
    BOOST_TEST(largest_gap < 0.01 * largest_target, "seed " << seed << ": gap " << largest_gap << " of "
                                                             << largest_target);
  }
}

// `--csv` without a file and a file that cannot be written: one line on stderr, exit code 2,
// and no training.
BOOST_AUTO_TEST_CASE(regression_sample_refuses_bad_csv_arguments_with_exit_code_2) {
  const std::vector<std::vector<std::string>> bad = {
      {"--csv"}, {"0", "--csv"}, {"--csv="}, {"--csv", "/nonexistent-folder/out.csv"}};
  for (const auto& args : bad) {
    const t::ProcessResult p = t::run_sample("11_regression", args);
    BOOST_TEST(p.exit_code == 2, args.back());
    BOOST_TEST(p.out.empty(), p.out);
    BOOST_TEST(std::count(p.err.begin(), p.err.end(), '\n') == 1, p.err);
    BOOST_TEST(p.err.rfind("11_regression: error: --csv", 0) == 0, p.err);
  }
}
