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
