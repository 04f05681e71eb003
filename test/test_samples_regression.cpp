#define BOOST_TEST_MODULE samples_regression
#include <boost/test/unit_test.hpp>

#include <regex>
#include <string>

#include "support/golden.hpp"

// samples/11_regression (pytorch/examples' C++ regression): it must stop because the loss fell
// below 1e-3, report it, and print a learned polynomial next to the actual one.

namespace t = eigrad::test;

BOOST_AUTO_TEST_CASE(regression_sample_converges_below_1e_3) {
  for (const char* seed : {"0", "1"}) {
    const t::ProcessResult p = t::run_sample("11_regression", {seed});
    BOOST_TEST_REQUIRE(p.exit_code == 0, "seed " << seed << ", stderr: " << p.err);
    std::smatch m;
    BOOST_TEST_REQUIRE(std::regex_search(p.out, m, std::regex(R"(Loss: (\S+) after (\d+) batches)")), p.out);
    BOOST_TEST(std::stod(m[1].str()) < 1e-3, p.out);
    BOOST_TEST(std::stol(m[2].str()) > 1);
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
