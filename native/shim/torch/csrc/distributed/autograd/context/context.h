// Debian's libtorch-dev ships c10d/reducer.hpp but not the distributed-autograd header it
// includes. The Reducer only names two types from it: a shared_ptr to the RPC context (held, never
// used here: we do not use distributed autograd) and the gradient-callback signature. Declaring
// exactly those keeps the Reducer's layout identical to the one libtorch_cpu.so was built with
// (a shared_ptr and an atomic pointer are the same size whatever they point to). A full libtorch
// has the real header earlier on the include path, and this file is never read.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
