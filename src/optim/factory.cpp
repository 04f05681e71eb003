// make_optimizer: an optimizer from its name and PyTorch-named options.
#include "eigrad/optim/factory.hpp"

#include <cctype>

#include "eigrad/optim/adagrad.hpp"
#include "eigrad/optim/adam.hpp"
#include "eigrad/optim/adamw.hpp"
#include "eigrad/optim/rmsprop.hpp"
#include "eigrad/optim/sgd.hpp"

namespace eigrad::optim {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Overrides the defaults' values with `given`, refusing names the optimizer lacks.
template <class Options>
Options with_values(Options defaults, const std::string& who, const std::map<std::string, double>& given) {
  std::map<std::string, double> values;
  std::string known;
  for (const auto& [key, value] : defaults.values()) {
    values[key] = value;
    known += (known.empty() ? "" : ", ") + key;
  }
  for (const auto& [key, value] : given) {
    EIGRAD_CHECK(values.count(key), ValueError, who, " has no option '", key, "' (its options: ", known, ")");
    values[key] = value;
  }
  defaults.set_values(values);
  return defaults;
}

}  // namespace

std::vector<std::string> optimizer_names() { return {"sgd", "rmsprop", "adam", "adamw", "adagrad"}; }

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const std::string& name, std::vector<Tensor<T>> params,
                                             const std::map<std::string, double>& options) {
  const std::string kind = lower(name);
  if (kind == "sgd") {
    EIGRAD_CHECK(options.count("lr"), ValueError, "SGD needs a learning rate 'lr' (it has no default)");
    return std::make_unique<SGD<T>>(std::move(params), with_values(SGDOptions(0), "SGD", options));
  }
  if (kind == "rmsprop")
    return std::make_unique<RMSprop<T>>(std::move(params), with_values(RMSpropOptions(), "RMSprop", options));
  if (kind == "adam") return std::make_unique<Adam<T>>(std::move(params), with_values(AdamOptions(), "Adam", options));
  if (kind == "adamw")
    return std::make_unique<AdamW<T>>(std::move(params), with_values(AdamWOptions(), "AdamW", options));
  if (kind == "adagrad")
    return std::make_unique<Adagrad<T>>(std::move(params), with_values(AdagradOptions(), "Adagrad", options));
  EIGRAD_FAIL(ValueError, "unknown optimizer '", name, "' (expected sgd, rmsprop, adam, adamw or adagrad)");
}

template std::unique_ptr<Optimizer<float>> make_optimizer<float>(const std::string&, std::vector<Tensor<float>>,
                                                                 const std::map<std::string, double>&);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(const std::string&, std::vector<Tensor<double>>,
                                                                   const std::map<std::string, double>&);

}  // namespace eigrad::optim
