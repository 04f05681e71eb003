#include "eigrad/device.hpp"

#include <cctype>
#include <ostream>

#include "eigrad/errors.hpp"

namespace eigrad {

namespace {
constexpr const char* kExpected = " (expected cpu, cuda or cuda:K)";
constexpr std::size_t kMaxIndexDigits = 4;
}  // namespace

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  const std::string prefix = "cuda:";
  EIGRAD_CHECK(text.rfind(prefix, 0) == 0, DeviceError, "unknown device '", text, "'", kExpected);
  const std::string digits = text.substr(prefix.size());
  EIGRAD_CHECK(!digits.empty(), DeviceError, "unknown device '", text, "': no index after 'cuda:'", kExpected);
  for (const char c : digits)
    EIGRAD_CHECK(std::isdigit(static_cast<unsigned char>(c)), DeviceError, "unknown device '", text,
                 "': the index '", digits, "' is not a decimal number", kExpected);
  EIGRAD_CHECK(digits.size() <= kMaxIndexDigits, DeviceError, "unknown device '", text, "': the index '", digits,
               "' has more than ", kMaxIndexDigits, " digits", kExpected);
  return cuda(std::stoi(digits));
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

std::ostream& operator<<(std::ostream& os, const Device& device) { return os << device.str(); }

bool cuda_backend_built() { return EIGRAD_DEVICE_BACKEND_BUILT != 0; }

void check_device_available(const Device& device) {
  if (!device.is_cuda() || cuda_backend_built()) return;
  EIGRAD_FAIL(DeviceError, "device ", device.str(), " requested, but the CUDA backend not built into this eigrad",
              " (CPU only: configure with EIGRAD_DEVICE_BACKEND=CUDA, OMP or CPP)");
}

const char* device_backend_name() { return EIGRAD_DEVICE_BACKEND_NAME; }

void check_device_exists(const Device& device) {
  if (device.is_cpu()) return;
  const int count = cuda::device_count();
  EIGRAD_CHECK(device.index < count, DeviceError, "device ", device.str(), " requested, but there ",
               count == 1 ? "is " : "are ", count, count == 1 ? " CUDA device" : " CUDA devices",
               count == 0 ? "" : (count == 1 ? " (cuda:0)" : " (cuda:0 to cuda:" + std::to_string(count - 1) + ")"),
               " (device backend: ", device_backend_name(), ")");
}

namespace cuda {
#if !EIGRAD_DEVICE_BACKEND_BUILT
int device_count() { return 0; }
#endif
bool is_available() { return device_count() > 0; }
}  // namespace cuda

}  // namespace eigrad
