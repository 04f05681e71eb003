// Fuzzes the samples' command line (samples/common: parse_stage_options) as three stages
// see it: 03 (scalar weights), 06 (the optimizer flags) and 08 (exponent bounds). The input is
// the argument list, one argument a line. Every input either parses or throws
// samples::UsageError; an --init named by the input is read as a file as the samples do.
#include <cstdint>
#include <string>
#include <vector>

#include "common/stage.hpp"
#include "common/stages.hpp"

using namespace eigrad::samples;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size && args.size() <= 64; ++i) {
    if (data[i] == '\n')
      args.emplace_back();
    else
      args.back().push_back(static_cast<char>(data[i]));
  }
  for (const auto& defaults : {defaults_autograd(), defaults_optim(), defaults_dynamic_net()}) {
    bool help = false;
    try {
      parse_stage_options(args, defaults, &help);
    } catch (const UsageError&) {
    }
    try {
      parse_stage_options(args, defaults);  // without a help flag, --help is an error too
    } catch (const UsageError&) {
    }
  }
  return 0;
}
