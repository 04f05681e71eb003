#include "eigrad/device.hpp"

#include <cctype>
#include <ostream>

#include "eigrad/errors.hpp"

namespace eigrad {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() < 10) {
    int index = 0;
    for (std::size_t i = 5; i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) goto bad;
      index = index * 10 + (text[i] - '0');
    }
    return cuda(index);
  }
bad:
  EIGRAD_FAIL(DeviceError, "unknown device '", text, "' (expected cpu, cuda or cuda:K)");
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

std::ostream& operator<<(std::ostream& os, const Device& device) { return os << device.str(); }

bool cuda_backend_built() { return false; }

void check_device_available(const Device& device) {
  EIGRAD_CHECK(!device.is_cuda() || cuda_backend_built(), DeviceError, "device ", device.str(),
               " requested, but the CUDA backend not built into this eigrad (CPU only)");
}

}  // namespace eigrad
