#define BOOST_TEST_MODULE device_storage
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "device_support.hpp"
#include "eigrad/cuda/memory.hpp"
#include "eigrad/device.hpp"
#include "eigrad/errors.hpp"
#include "eigrad/storage.hpp"

// Devices, storage from each device's allocator and its pools, copies, the launch counter.

using namespace eigrad;
using Dtypes = boost::mpl::list<float, double>;

namespace {
using test::mentions;
}  // namespace

BOOST_AUTO_TEST_CASE(devices_of_the_backend) {
  const std::string backend = device_backend_name();
  BOOST_TEST((backend == "CUDA" || backend == "OMP" || backend == "CPP"));
  if (backend != "CUDA") {
    BOOST_TEST(cuda::device_count() == 1);
    BOOST_TEST(cuda::is_available());
  }
  BOOST_TEST(cuda::is_available() == (cuda::device_count() > 0));
  check_device_exists(Device::cpu());
  const int count = cuda::device_count();
  if (count > 0) check_device_exists(Device::cuda(count - 1));
  const std::string how_many = std::to_string(count) + (count == 1 ? " CUDA device" : " CUDA devices");
  BOOST_CHECK_EXCEPTION(check_device_exists(Device::cuda(count)), DeviceError,
                        mentions({"cuda:" + std::to_string(count), how_many}));
  BOOST_CHECK_EXCEPTION(check_device_exists(Device::parse("cuda:5")), DeviceError, mentions({"cuda:5"}));
}

BOOST_AUTO_TEST_CASE(parse_errors_say_what_is_wrong) {
  BOOST_CHECK_EXCEPTION(Device::parse("cuda:x"), DeviceError, mentions({"'cuda:x'", "not a decimal number"}));
  BOOST_CHECK_EXCEPTION(Device::parse("cuda:"), DeviceError, mentions({"'cuda:'", "no index"}));
  BOOST_CHECK_EXCEPTION(Device::parse("cuda:123456"), DeviceError, mentions({"'cuda:123456'", "digits"}));
  BOOST_CHECK_EXCEPTION(Device::parse("gpu"), DeviceError, mentions({"'gpu'", "expected cpu, cuda or cuda:K"}));
  BOOST_TEST(Device::parse("cuda:0042").index == 42);
}

BOOST_AUTO_TEST_CASE(tensors_live_on_the_device_of_this_build) {
  BOOST_TEST(cuda_backend_built());
  const Tensor<float> t = zeros<float>({2}, Device::cuda());
  BOOST_TEST(t.is_cuda());
  BOOST_TEST(t.storage().device() == Device::cuda());
  BOOST_CHECK_EXCEPTION(zeros<float>({2}, Device::cuda(cuda::device_count())), DeviceError,
                        mentions({"cuda:" + std::to_string(cuda::device_count()), "there"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(device_storage_round_trip, T, Dtypes) {
  for (const std::int64_t n : {std::int64_t{1}, std::int64_t{3}, std::int64_t{1001}}) {
    std::vector<T> host(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) host[static_cast<std::size_t>(i)] = static_cast<T>(0.5 * i - 3);
    const test::DeviceBuffer<T> buffer(host);
    BOOST_TEST(buffer.storage.device().is_cuda());
    BOOST_TEST(buffer.storage.size() == n);
    BOOST_TEST(buffer.storage.version() == 0u);
    BOOST_TEST(buffer.storage.sole_owner());
    BOOST_TEST(buffer.host() == host, boost::test_tools::per_element());
  }
  const Storage<T> empty = Storage<T>::allocate(0, Device::cuda());
  BOOST_TEST(empty.data() == nullptr);
  BOOST_TEST(empty.device().is_cuda());
}

BOOST_AUTO_TEST_CASE(device_pool_reuses_a_freed_block) {
  const std::int64_t n = 12345;  // a size no other test uses
  const void* first = nullptr;
  { first = Storage<double>::allocate(n, Device::cuda()).data(); }
  const auto before = cuda::pool_stats();
  BOOST_TEST(before.cached_bytes >= n * sizeof(double));
  const Storage<double> again = Storage<double>::allocate(n, Device::cuda());
  const auto after = cuda::pool_stats();
  BOOST_TEST(again.data() == first);
  BOOST_TEST(after.hits == before.hits + 1);
  BOOST_TEST(after.misses == before.misses);
  cuda::release_cached_memory();
  BOOST_TEST(cuda::pool_stats().cached_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(host_pool_serves_big_buffers_again) {
  const std::int64_t n = static_cast<std::int64_t>(host_pool_min_bytes() / sizeof(float)) + 17;
  const void* first = nullptr;
  { first = Storage<float>::allocate(n).data(); }
  const auto before = host_pool_stats();
  const Storage<float> again(n);
  BOOST_TEST(again.data() == first);
  BOOST_TEST(host_pool_stats().hits == before.hits + 1);
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(again.data()) % 64 == 0u);
  // a small buffer is plain malloc, not pooled
  const auto small_before = host_pool_stats();
  const Storage<float> small(100);
  BOOST_TEST(host_pool_stats().misses == small_before.misses);
  BOOST_TEST(host_pool_stats().hits == small_before.hits);
}

BOOST_AUTO_TEST_CASE(impossible_sizes_are_named) {
  BOOST_CHECK_EXCEPTION(Storage<float>::allocate(-3), ValueError, mentions({"negative size -3"}));
  BOOST_CHECK_EXCEPTION(Storage<double>::allocate(std::int64_t{1} << 61, Device::cuda()), ValueError,
                        mentions({"2305843009213693952 elements of float64", "address space"}));
  // representable, but no machine has it: 2^58 doubles = 2 EiB
  BOOST_CHECK_EXCEPTION(Storage<double>::allocate(std::int64_t{1} << 58), DeviceError,
                        mentions({"288230376151711744 elements of float64", "2305843009213693952 bytes", "on cpu"}));
  BOOST_CHECK_EXCEPTION(Storage<double>::allocate(std::int64_t{1} << 58, Device::cuda()), DeviceError,
                        mentions({"2305843009213693952 bytes", "cuda:0"}));
  BOOST_CHECK_EXCEPTION(Storage<float>::allocate(4, Device::cuda(cuda::device_count())), DeviceError,
                        mentions({"cuda:" + std::to_string(cuda::device_count())}));
}

namespace {
std::vector<std::string> g_launched;
void remember(const char* kernel) { g_launched.emplace_back(kernel); }
}  // namespace

BOOST_AUTO_TEST_CASE(launches_are_counted_and_hooked) {
  const test::DeviceBuffer<float> a(std::vector<float>(10, 1.0f)), b(10);
  const cuda::LaunchCounter counter;
  cuda::fill(b.data(), 10, 2.0f);
  cuda::copy(b.data(), a.data(), 10);
  BOOST_TEST(counter.count() == 2u);
  cuda::fill(b.data(), 0, 2.0f);  // nothing to do: no launch
  BOOST_TEST(counter.count() == 2u);
  const auto previous = cuda::set_launch_hook(&remember);
  BOOST_TEST(previous == nullptr);
  BOOST_TEST(cuda::sum(a.data(), 10) == 10.0f);
  BOOST_TEST(cuda::set_launch_hook(previous) == &remember);
  BOOST_TEST(g_launched == std::vector<std::string>{"sum"}, boost::test_tools::per_element());
  BOOST_TEST(counter.count() == 3u);
}
