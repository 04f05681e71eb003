#define BOOST_TEST_MODULE samples_nn
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "common/stage.hpp"
#include "common/stages.hpp"
#include "support/golden.hpp"

namespace s = eigrad::samples;
namespace t = eigrad::test;

namespace {

std::string golden_path(const std::string& name) { return std::string(EIGRAD_GOLDEN_DIR) + "/" + name; }

/// Runs \p fn with \p opts, discarding what it prints.
s::StageRun quiet(s::StageFunction fn, const s::StageOptions& opts) {
  std::ostringstream sink;
  return fn(opts, sink);
}

/// Every trace loss of \p a within \p rtol of \p b's, at the same steps.
void check_same_trace(const s::StageRun& a, const s::StageRun& b, double rtol) {
  BOOST_REQUIRE_EQUAL(a.trace.size(), b.trace.size());
  for (std::size_t i = 0; i < a.trace.size(); ++i) {
    BOOST_TEST(a.trace[i].t == b.trace[i].t);
    BOOST_TEST(a.trace[i].loss == b.trace[i].loss, boost::test_tools::tolerance(rtol));
  }
}

/// Checks a binary's printout against a golden file, the Result line's numbers placed by
/// \p order.
void check_printout(const t::ProcessResult& p, const t::Golden& g, const std::vector<t::ResultSlot>& order) {
  BOOST_TEST(p.exit_code == 0, "stderr: " << p.err);
  t::check_run_against_golden(t::run_from_printout(p.out, order), g);
}

}  // namespace

// ============================================================================ golden runs

BOOST_AUTO_TEST_SUITE(golden)

BOOST_AUTO_TEST_CASE(stage_05_nn) { t::check_stage_against_golden(&s::run_nn, s::defaults_nn(), "05_nn.json"); }

BOOST_AUTO_TEST_CASE(stage_07_custom_module) {
  t::check_stage_against_golden(&s::run_custom_module, s::defaults_custom_module(), "07_module.json");
}

BOOST_AUTO_TEST_CASE(stage_08_dynamic_net) {
  t::check_stage_against_golden(&s::run_dynamic_net, s::defaults_dynamic_net(), "08_dynamic.json");
}

BOOST_AUTO_TEST_CASE(binaries_with_init_reproduce_the_golden_printout) {
  check_printout(t::run_sample("05_nn", {"--init", golden_path("05_nn.json")}), t::load_golden("05_nn.json"),
                 t::linear_result_order());
  check_printout(t::run_sample("07_custom_module", {"--init", golden_path("07_module.json")}),
                 t::load_golden("07_module.json"), t::cubic_result_order());
  // 08 prints e twice (the x^4 and x^5 terms share it).
  std::vector<t::ResultSlot> dynamic_order = t::cubic_result_order();
  dynamic_order.insert(dynamic_order.end(), {{"e", 0}, {"e", 0}});
  check_printout(t::run_sample("08_dynamic_net", {"--init", golden_path("08_dynamic.json")}),
                 t::load_golden("08_dynamic.json"), dynamic_order);
}

BOOST_AUTO_TEST_CASE(result_lines_are_the_tutorials) {
  const auto p5 = t::run_sample("05_nn", {"--init", golden_path("05_nn.json"), "--iters", "0"});
  BOOST_TEST(p5.exit_code == 0);
  BOOST_TEST(p5.out ==
             "Result: y = -0.2473352551460266 + 0.35218703746795654 x + 0.3555794060230255 x^2 + "
             "0.017696432769298553 x^3\n");
  const auto p7 = t::run_sample("07_custom_module", {"--init", golden_path("07_module.json"), "--iters", "0"});
  BOOST_TEST(p7.exit_code == 0);
  BOOST_TEST(p7.out ==
             "Result: y = 0.001230153371579945 + 0.2987455427646637 x + -0.27413785457611084 x^2 + "
             "-0.8905918598175049 x^3\n");
  const auto p8 = t::run_sample("08_dynamic_net", {"--init", golden_path("08_dynamic.json"), "--iters", "0"});
  BOOST_TEST(p8.exit_code == 0);
  BOOST_TEST(p8.out ==
             "Result: y = -1.7382663488388062 + -1.3366427421569824 x + -1.3611067533493042 x^2 + "
             "-0.35161712765693665 x^3 + -2.3125815391540527 x^4 ? + -2.3125815391540527 x^5 ?\n");
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================ other starting points

BOOST_AUTO_TEST_SUITE(cross_checks)

BOOST_AUTO_TEST_CASE(nn_and_custom_module_agree_in_float64_from_equivalent_starts) {
  // Linear(3, 1) on (x, x^2, x^3) and Polynomial3 compute the same polynomial, with the same
  // gradients and the same plain SGD update, so their runs must agree to rounding.
  const double a = 0.31, b = -0.27, c = 0.18, d = 0.052;
  s::StageOptions o5 = s::default_options(s::defaults_nn());
  o5.dtype = "float64";
  o5.init = std::map<std::string, std::vector<double>>{{"weight", {b, c, d}}, {"bias", {a}}};
  s::StageOptions o7 = s::default_options(s::defaults_custom_module());
  o7.dtype = "float64";
  o7.init = std::map<std::string, std::vector<double>>{{"a", {a}}, {"b", {b}}, {"c", {c}}, {"d", {d}}};
  const auto r5 = quiet(&s::run_nn, o5);
  const auto r7 = quiet(&s::run_custom_module, o7);
  BOOST_TEST(r5.trace.size() == 20u);
  check_same_trace(r5, r7, 1e-9);
  BOOST_TEST(r5.result.at("bias")[0] == r7.result.at("a")[0], boost::test_tools::tolerance(1e-9));
  BOOST_TEST(r5.result.at("weight")[0] == r7.result.at("b")[0], boost::test_tools::tolerance(1e-9));
  BOOST_TEST(r5.result.at("weight")[1] == r7.result.at("c")[0], boost::test_tools::tolerance(1e-7));
  BOOST_TEST(r5.result.at("weight")[2] == r7.result.at("d")[0], boost::test_tools::tolerance(1e-9));
  // The fit approaches sin's cubic least-squares shape: b near 0.85, d near -0.09.
  BOOST_TEST(r7.result.at("b")[0] == 0.85, boost::test_tools::tolerance(0.05));
  BOOST_TEST(r7.result.at("d")[0] == -0.092, boost::test_tools::tolerance(0.05));
  BOOST_TEST(r7.trace.back().loss < r7.trace.front().loss);

  // The float32 runs from the same start stay close to the float64 ones.
  o5.dtype = "float32";
  check_same_trace(quiet(&s::run_nn, o5), r5, 1e-4);
}

BOOST_AUTO_TEST_CASE(dynamic_net_without_extra_terms_and_momentum_is_the_custom_module) {
  // With every exponent bound 4 the loop adds nothing and e gets no gradient; with momentum 0
  // SGD is plain SGD: 08 is then 07 exactly, and e never moves.
  const std::map<std::string, std::vector<double>> start{{"a", {-0.4}}, {"b", {0.6}}, {"c", {0.2}}, {"d", {-0.3}},
                                                         {"e", {0.7}}};
  s::StageOptions o8 = s::default_options(s::defaults_dynamic_net());
  o8.dtype = "float64";
  o8.init = start;
  o8.exponent_upper_bounds = std::vector<int>(3000, 4);
  o8.iters = 3000;
  o8.print_every = 100;
  o8.lr = 1e-6;
  o8.momentum = 0.0;
  s::StageOptions o7 = s::default_options(s::defaults_custom_module());
  o7.dtype = "float64";
  o7.init = start;
  o7.iters = 3000;
  const auto r8 = quiet(&s::run_dynamic_net, o8);
  const auto r7 = quiet(&s::run_custom_module, o7);
  check_same_trace(r8, r7, 1e-12);
  for (const char* k : {"a", "b", "c", "d"}) BOOST_TEST(r8.result.at(k)[0] == r7.result.at(k)[0], boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r8.result.at("e")[0] == 0.7);
}

BOOST_AUTO_TEST_CASE(dynamic_net_draws_its_exponents_from_the_seed) {
  s::StageOptions o = s::default_options(s::defaults_dynamic_net());
  o.iters = 4000;
  o.seed = 123;
  const auto r1 = quiet(&s::run_dynamic_net, o);
  const auto r2 = quiet(&s::run_dynamic_net, o);
  BOOST_REQUIRE_EQUAL(r1.trace.size(), 2u);
  check_same_trace(r1, r2, 0.0);
  for (const auto& [k, v] : r1.result) BOOST_TEST(v == r2.result.at(k), boost::test_tools::per_element());
  o.seed = 124;
  const auto r3 = quiet(&s::run_dynamic_net, o);
  BOOST_TEST(r3.result.at("a")[0] != r1.result.at("a")[0]);

  // The same start with the bounds given explicitly: all 6 (both extra terms every step)
  // differs from all 4 (none), and e moves only when it is used.
  s::StageOptions fixed = s::default_options(s::defaults_dynamic_net());
  fixed.iters = 2000;
  fixed.init = std::map<std::string, std::vector<double>>{{"a", {0.1}}, {"b", {0.2}}, {"c", {0.3}}, {"d", {0.4}}, {"e", {0.01}}};
  fixed.exponent_upper_bounds = std::vector<int>(2000, 6);
  const auto all6 = quiet(&s::run_dynamic_net, fixed);
  fixed.exponent_upper_bounds = std::vector<int>(2000, 4);
  const auto all4 = quiet(&s::run_dynamic_net, fixed);
  BOOST_TEST(all6.result.at("e")[0] != 0.01f);
  BOOST_TEST(all4.result.at("e")[0] == 0.01f);
  BOOST_TEST(all6.trace.front().loss != all4.trace.front().loss);
}

BOOST_AUTO_TEST_CASE(seeded_binaries_are_reproducible_and_learn) {
  for (const std::string name : {"05_nn", "07_custom_module"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto p1 = t::run_sample(name, {"--seed", "42"});
      const auto p2 = t::run_sample(name, {"--seed", "42"});
      const auto p3 = t::run_sample(name, {"--seed", "43", "--dtype", "float64"});
      BOOST_TEST(p1.exit_code == 0, p1.err);
      BOOST_TEST(p1.out == p2.out);
      BOOST_TEST(p3.exit_code == 0, p3.err);
      BOOST_TEST(p1.out != p3.out);
      for (const auto* p : {&p1, &p3}) {
        const auto run = t::parse_stage_output(p->out);
        BOOST_REQUIRE_EQUAL(run.trace.size(), 20u);
        BOOST_TEST(run.trace.back().loss < run.trace.front().loss);
        BOOST_TEST(run.result.at("printed").size() == 4u);
      }
    }
  }
  const auto p = t::run_sample("08_dynamic_net", {"--seed", "5", "--iters", "6000"});
  BOOST_TEST(p.exit_code == 0, p.err);
  BOOST_TEST(t::parse_stage_output(p.out).trace.size() == 3u);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused) {
  const auto bounds = t::write_init_file({{"a", {0.1}}, {"b", {0.2}}, {"c", {0.3}}, {"d", {0.4}}, {"e", {0.5}}}, {4, 5, 6});
  const auto p = t::run_sample("08_dynamic_net", {"--init", bounds, "--iters", "10"});
  std::remove(bounds.c_str());
  BOOST_TEST(p.exit_code == 2);
  BOOST_TEST(p.err.find("exponent_upper_bounds") != std::string::npos, p.err);
  const auto no_weight = t::write_init_file({{"a", {0.1}}, {"b", {0.2}}, {"c", {0.3}}, {"d", {0.4}}});
  const auto q = t::run_sample("05_nn", {"--init", no_weight});
  std::remove(no_weight.c_str());
  BOOST_TEST(q.exit_code == 2);
  BOOST_TEST(q.err.find("05_nn: error:") == 0u, q.err);
  const auto r = t::run_sample("07_custom_module", {"--dtype", "float16"});
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
