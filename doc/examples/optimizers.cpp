#include <iostream>

#include "check.hpp"
#include "eigrad/eigrad.hpp"
#include "eigrad/optim/optim.hpp"

namespace eigrad::examples {

namespace {

// [steps]
// Three steps of minimising sum(w^2), the way every optimizer is driven.
void three_steps(optim::Optimizer<double>& optimizer, const Tensor<double>& w) {
  for (int step = 0; step < 3; ++step) {
    optimizer.zero_grad();       // forget the previous step's gradients
    w.pow(2).sum().backward();   // the loss's gradient lands in w.grad()
    optimizer.step();            // update w in place
  }
}
// [steps]

Tensor<double> start() { return from_vector<double>({1.0, -2.0}, {2}, TensorOptions().requires_grad(true)); }

void expect_weights(const Tensor<double>& w, double w0, double w1, const char* what) {
  expect_near(w.to_vector()[0], w0, what, 1e-12);
  expect_near(w.to_vector()[1], w1, what, 1e-12);
}

}  // namespace

void optimizer_examples() {
  {
    // [sgd]
    Tensor<double> w = start();  // [1, -2], requires grad
    optim::SGD<double> sgd({w}, optim::SGDOptions(0.1).momentum(0.9));  // SGD(lr=0.1, momentum=0.9)
    three_steps(sgd, w);
    std::cout << w << '\n';  // tensor([ 0.0620, -0.1240], dtype=torch.float64, requires_grad=True)
    // [sgd]
    expect_weights(w, 0.0619999999999999, -0.1239999999999998, "SGD");
  }
  {
    // [rmsprop]
    Tensor<double> w = start();
    optim::RMSprop<double> rmsprop({w}, optim::RMSpropOptions(0.01));  // RMSprop(lr=0.01)
    three_steps(rmsprop, w);  // w = [0.7800, -1.7753]
    // [rmsprop]
    expect_weights(w, 0.7799822732436351, -1.7753494456014602, "RMSprop");
  }
  {
    // [adam]
    Tensor<double> w = start();
    optim::Adam<double> adam({w}, optim::AdamOptions(0.1));  // Adam(lr=0.1), betas (0.9, 0.999)
    three_steps(adam, w);  // w = [0.7016, -1.7006]
    // [adam]
    expect_weights(w, 0.7015862729460302, -1.700623392046465, "Adam");
  }
  {
    // [adamw]
    Tensor<double> w = start();
    optim::AdamW<double> adamw({w}, optim::AdamWOptions(0.1));  // AdamW(lr=0.1), weight_decay 0.01
    three_steps(adamw, w);  // w = [0.6989, -1.6949]
    // [adamw]
    expect_weights(w, 0.6989111831582322, -1.6949445143849768, "AdamW");
  }
  {
    // [adagrad]
    Tensor<double> w = start();
    optim::Adagrad<double> adagrad({w}, optim::AdagradOptions(0.5));  // Adagrad(lr=0.5)
    three_steps(adagrad, w);  // w = [0.1564, -0.9836]
    // [adagrad]
    expect_weights(w, 0.15639873604594765, -0.9836344662264666, "Adagrad");
  }
}

}  // namespace eigrad::examples
